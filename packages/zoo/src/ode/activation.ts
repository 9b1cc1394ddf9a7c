/** Scalar activations of the NeuralODE MLPs with their first and second derivatives (for Hessians). */

/** Names of the activations an ODE MLP layer can use. */
export type OdeActivation = 'tanh' | 'softplus' | 'relu' | 'sin' | 'sigmoid' | 'silu' | 'identity';

/** Every {@link OdeActivation}. */
export const ODE_ACTIVATIONS: readonly OdeActivation[] = [
  'tanh',
  'softplus',
  'relu',
  'sin',
  'sigmoid',
  'silu',
  'identity',
];

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * Writes σ(z), σ'(z) and σ''(z) to `out[0..2]` for activation `kind`. relu has σ'' = 0 (and σ'(0) = 0):
 * Hamiltonians built on relu have a zero Hessian almost everywhere.
 */
export function activationDerivatives(kind: OdeActivation, z: number, out: Float64Array): void {
  switch (kind) {
    case 'tanh': {
      const a = Math.tanh(z);
      const d = 1 - a * a;
      out[0] = a;
      out[1] = d;
      out[2] = -2 * a * d;
      return;
    }
    case 'softplus': {
      // log(1 + e^z) without overflow.
      const s = sigmoid(z);
      out[0] = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
      out[1] = s;
      out[2] = s * (1 - s);
      return;
    }
    case 'relu':
      out[0] = Math.max(z, 0);
      out[1] = z > 0 ? 1 : 0;
      out[2] = 0;
      return;
    case 'sin':
      out[0] = Math.sin(z);
      out[1] = Math.cos(z);
      out[2] = -out[0];
      return;
    case 'sigmoid': {
      const s = sigmoid(z);
      out[0] = s;
      out[1] = s * (1 - s);
      out[2] = s * (1 - s) * (1 - 2 * s);
      return;
    }
    case 'silu': {
      const s = sigmoid(z);
      const ds = s * (1 - s);
      out[0] = z * s;
      out[1] = s + z * ds;
      out[2] = 2 * ds + z * ds * (1 - 2 * s);
      return;
    }
    case 'identity':
      out[0] = z;
      out[1] = 1;
      out[2] = 0;
      return;
  }
}
