/** The playground page: wires the controls to the iteration driver and redraws after every iterate. */
import type { Method, ScanBackend } from '@antler/core';
import { createSequentialBackend } from '@antler/scan';
import { type Iterate, iterate, sequentialStates } from './driver.js';
import { models } from './models.js';
import { drawChart, type Line } from './plot.js';
import { createWebGpuScanBackend } from './webgpu.js';

/** Residual tolerance at which a run counts as converged: float64 on the CPU, float32 on WebGPU. */
const TOLERANCE = { float64: 1e-8, float32: 1e-4 } as const;

/** What the page exposes for people poking in the console and for the end-to-end test. */
interface PlaygroundState {
  state: 'idle' | 'running' | 'converged' | 'failed';
  model: string;
  method: Method;
  backend: string;
  tolerance: number;
  residuals: number[];
  errors: number[];
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const modelSelect = $<HTMLSelectElement>('model');
const methodSelect = $<HTMLSelectElement>('method');
const lambdaInput = $<HTMLInputElement>('lambda');
const lengthInput = $<HTMLInputElement>('length');
const backendSelect = $<HTMLSelectElement>('backend');
const delayInput = $<HTMLInputElement>('delay');
const runButton = $<HTMLButtonElement>('run');
const status = $<HTMLDivElement>('status');
const eventsBox = $<HTMLDivElement>('events');
const tableBody = $<HTMLTableElement>('table').tBodies[0];

const page: PlaygroundState = {
  state: 'idle',
  model: '',
  method: 'deer',
  backend: 'cpu',
  tolerance: TOLERANCE.float64,
  residuals: [],
  errors: [],
};
(globalThis as unknown as { antlerPlayground: PlaygroundState }).antlerPlayground = page;

for (const m of models) modelSelect.add(new Option(m.label, m.id));

function selectModel(id: string): void {
  const model = models.find((m) => m.id === id) ?? models[0];
  modelSelect.value = model.id;
  methodSelect.value = model.defaultMethod;
  lambdaInput.value = model.defaultLambda === 'adaptive' ? '' : String(model.defaultLambda);
  lengthInput.value = String(model.length);
  $('model-note').textContent = model.note;
}
modelSelect.addEventListener('change', () => selectModel(modelSelect.value));

const backends = new Map<string, ScanBackend>([['cpu', createSequentialBackend()]]);
const webgpu = createWebGpuScanBackend().then((b) => {
  if (!b) return;
  backends.set('webgpu', b);
  backendSelect.add(new Option(`WebGPU (${b.name})`, 'webgpu'));
  backendSelect.value = 'webgpu';
});

function setStatus(state: PlaygroundState['state'], text: string): void {
  page.state = state;
  status.dataset.state = state;
  status.textContent = text;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (v: number) => (Number.isFinite(v) ? v.toExponential(2) : String(v));

let controller: AbortController | null = null;

async function run(): Promise<void> {
  controller?.abort();
  const ctl = new AbortController();
  controller = ctl;
  const model = models.find((m) => m.id === modelSelect.value) ?? models[0];
  const method = methodSelect.value as Method;
  const lambdaText = lambdaInput.value.trim();
  const lambda = lambdaText === '' || lambdaText === 'adaptive' ? 'adaptive' : Number(lambdaText);
  const length = Math.max(2, Math.min(100_000, Math.round(Number(lengthInput.value)) || model.length));
  const delay = Math.max(0, Number(delayInput.value) || 0);
  const backendName = backendSelect.value;
  const dtype = backendName === 'webgpu' ? 'float32' : 'float64';
  const tolerance = TOLERANCE[dtype];
  const { cell, inputs, h0 } = model.build(length);
  const n = cell.stateSize;
  Object.assign(page, {
    model: model.id,
    method,
    backend: backendName,
    tolerance,
    residuals: [],
    errors: [],
  });
  tableBody.replaceChildren();
  eventsBox.textContent = '';
  setStatus('running', `Running ${method} on ${model.label}, T = ${length} …`);

  // The sequential answer, component 0, as the dashed reference line.
  const reference = sequentialStates(cell, inputs, h0, length);
  const component = (states: Float64Array) => Float64Array.from({ length }, (_, t) => states[t * n]);
  const refLine: Line = { ys: component(reference), colour: '#000', dashed: true, width: 1.5 };
  const history: Float64Array[] = [];
  const errorHistory: Float64Array[] = [];
  // max_i |s_t[i] − s*_t[i]| over t: Newton makes the first k states exact after k iterations.
  const errorOverT = (states: Float64Array) =>
    Float64Array.from({ length }, (_, t) => {
      let e = 0;
      for (let i = 0; i < n; i++) e = Math.max(e, Math.abs(states[t * n + i] - reference[t * n + i]));
      return e;
    });
  let last: Iterate | undefined;
  const t0 = performance.now();
  try {
    for await (const it of iterate(cell, inputs, h0, length, {
      method,
      lambda,
      maxIter: Math.max(length, 50),
      tolerance,
      backend: backends.get(backendName),
      dtype,
      signal: ctl.signal,
    })) {
      last = it;
      history.push(component(it.states));
      errorHistory.push(errorOverT(it.states));
      page.residuals.push(it.maxResidual);
      page.errors.push(it.maxError);
      const older = history.slice(-6, -1).map((ys, k, a) => ({
        ys,
        colour: `rgba(0, 114, 178, ${0.25 + (0.5 * (k + 1)) / a.length})`,
        width: 1,
      }));
      drawChart(
        $<HTMLCanvasElement>('trajectory'),
        [refLine, ...older, { ys: history[history.length - 1], colour: '#d55e00', width: 2 }],
        {
          title: `s_t[0]: iterate ${it.iteration} (orange), earlier (blue), exact (dashed)`,
          xLabel: 't',
          yLabel: 's_t[0]',
        },
      );
      drawChart(
        $<HTMLCanvasElement>('error'),
        errorHistory.slice(-6).map((ys, k, a) => ({
          ys,
          colour: k === a.length - 1 ? '#d55e00' : `rgba(0, 114, 178, ${0.2 + (0.5 * (k + 1)) / a.length})`,
          width: k === a.length - 1 ? 2 : 1,
        })),
        {
          title: 'error vs the sequential loop, over t',
          xLabel: 't',
          yLabel: 'max_i |s_t − s*_t|',
          logY: true,
        },
      );
      drawChart($<HTMLCanvasElement>('residual'), [{ ys: page.residuals, colour: '#d55e00', width: 2 }], {
        title: 'max residual per iteration (dashed: tolerance)',
        xLabel: 'iteration',
        yLabel: 'max |s_t − f(s_{t−1}, x_t)|',
        logY: true,
        reference: tolerance,
      });
      const row = tableBody.insertRow();
      for (const v of [
        String(it.iteration),
        fmt(it.maxResidual),
        fmt(it.maxError),
        it.lambda === undefined ? '–' : fmt(it.lambda),
      ])
        row.insertCell().textContent = v;
      if (it.events.length) eventsBox.textContent += `iteration ${it.iteration}: ${it.events.join('; ')}\n`;
      setStatus(
        'running',
        `iteration ${it.iteration}: residual ${fmt(it.maxResidual)}, error ${fmt(it.maxError)}`,
      );
      if (delay > 0) await sleep(delay);
      else await new Promise(requestAnimationFrame);
    }
  } catch (e) {
    setStatus('failed', `Failed: ${(e as Error).message}`);
    return;
  }
  if (ctl.signal.aborted) return;
  const ms = (performance.now() - t0).toFixed(0);
  if (last && last.maxResidual <= tolerance) {
    setStatus(
      'converged',
      `Converged in ${last.iteration} iterations (T = ${length}): residual ${fmt(last.maxResidual)}, max error vs sequential ${fmt(last.maxError)} — ${ms} ms with drawing.`,
    );
  } else if (last?.diverged) {
    setStatus(
      'failed',
      `Diverged at iteration ${last.iteration}: the iterate overflowed (residual ${fmt(last.maxResidual)}). Try a damped method (ELK) or a shorter T.`,
    );
  } else {
    setStatus(
      'failed',
      `Not converged after ${last?.iteration ?? 0} iterations: residual ${fmt(last?.maxResidual ?? NaN)}.`,
    );
  }
}

runButton.addEventListener('click', () => {
  run().catch((e) => setStatus('failed', String(e)));
});

// URL parameters preselect everything: ?model=gru&method=deer&lambda=0.01&T=256&delay=0&autorun=1
const params = new URLSearchParams(location.search);
selectModel(params.get('model') ?? models[0].id);
if (params.has('method')) methodSelect.value = params.get('method')!;
if (params.has('lambda')) lambdaInput.value = params.get('lambda')!;
if (params.has('T')) lengthInput.value = params.get('T')!;
if (params.has('delay')) delayInput.value = params.get('delay')!;
if (params.has('backend')) backendSelect.value = params.get('backend')!;
if (params.get('autorun') === '1') {
  webgpu.finally(() => {
    if (params.has('backend')) backendSelect.value = params.get('backend')!;
    runButton.click();
  });
}
