/** Reading a zoo cell's PyTorch-named parameters. */
import type { Cell } from '@antler/core';

/** The data of parameter `name` (also found without the `_l0` suffix), or undefined. */
export function cellParam(cell: Cell, name: string): ArrayLike<number> | undefined {
  return (cell.parameters?.[name] ?? cell.parameters?.[name.replace(/_l0$/, '')])?.data;
}
