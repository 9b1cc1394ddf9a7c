/** The HTML benchmark report: chart selection conventions, SVG charts and the document writer. */
export { choosePlots, type Layout, layoutOf, plotsForSuite, type SuitePlots } from './choose-plots.js';
export { type HtmlReportInput, renderHtmlReport, writeHtmlReport } from './html-report.js';
export { type BarPlot, type LinePlot, type Plot, type PlotSeries, renderPlot } from './svg-plot.js';
