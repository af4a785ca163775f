// Recurrent cells and stacks built from primitives, with PyTorch's nn.LSTM / nn.GRU gate layout and parameter
// names (weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, `_reverse`), unrolled over a static length.

import type { Builder } from "../graph/composites.ts";
import type { Value } from "../graph/ir.ts";
import { type Initializer, uniform } from "./init.ts";
import { Module, type Parameter, type Scope } from "./module.ts";

/** The state one direction of one layer carries: h (and c for an LSTM), each [batch, hidden]. */
export interface RNNState {
  readonly h: Value;
  readonly c?: Value;
}

export interface CellInit {
  /** weight_ih (default PyTorch's U(±1/√hidden)). */
  input?: Initializer;
  /** weight_hh (default PyTorch's U(±1/√hidden)). */
  recurrent?: Initializer;
  /** bias_ih and bias_hh (default PyTorch's U(±1/√hidden)). */
  bias?: Initializer;
}

/**
 * One direction of one recurrent layer: the four PyTorch tensors for `gates` gates and the step function.
 * `suffix` is PyTorch's ("_l0", "_l1_reverse"; "" for a standalone nn.LSTMCell / nn.GRUCell).
 */
export abstract class RecurrentCell extends Module {
  readonly weightIh: Parameter;
  readonly weightHh: Parameter;
  readonly biasIh: Parameter;
  readonly biasHh: Parameter;

  constructor(
    prefix: string,
    suffix: string,
    readonly inputSize: number,
    readonly hiddenSize: number,
    gates: number,
    init: CellInit = {},
  ) {
    super(prefix);
    const pytorch = uniform(hiddenSize ** -0.5);
    const g = gates * hiddenSize;
    this.weightIh = this.param(`weight_ih${suffix}`, [g, inputSize], init.input ?? pytorch);
    this.weightHh = this.param(`weight_hh${suffix}`, [g, hiddenSize], init.recurrent ?? pytorch);
    this.biasIh = this.param(`bias_ih${suffix}`, [g], init.bias ?? pytorch, false);
    this.biasHh = this.param(`bias_hh${suffix}`, [g], init.bias ?? pytorch, false);
  }

  /** The input half of every gate, for one step or a whole sequence at once: x [..., in] -> [..., gates·H]. */
  projectInput(s: Scope, x: Value): Value {
    return s.b.linear(x, s.value(this.weightIh), s.value(this.biasIh));
  }

  /** The recurrent half: h [batch, H] -> [batch, gates·H]. */
  projectHidden(s: Scope, h: Value): Value {
    return s.b.linear(h, s.value(this.weightHh), s.value(this.biasHh));
  }

  /** A zero state [batch, H] with the batch size of `like` ([batch, ...]). */
  zeroState(s: Scope, like: Value): RNNState {
    const b = s.b;
    const shape = b.concat([b.dimOf(like, 0), b.ints([this.hiddenSize])], 0);
    const zero = b.constantOfShape(shape, [like.shape[0]!, this.hiddenSize], 0); // [batch, H]
    return this.hasCell ? { h: zero, c: zero } : { h: zero };
  }

  /** Whether the state has a memory cell c (LSTM). */
  abstract readonly hasCell: boolean;

  /**
   * One step. xProj: projectInput of this step's input [batch, gates·H]; state: the previous state.
   * mask: bool [batch, 1], false where the step is padding: the state is then carried over unchanged.
   */
  abstract step(s: Scope, xProj: Value, state: RNNState, mask?: Value): RNNState;
}

/** Keeps `previous` where mask [batch, 1] is false (padded steps leave the state unchanged). */
function masked(b: Builder, mask: Value | undefined, next: Value, previous: Value): Value {
  return mask ? b.where(mask, next, previous) : next; // [batch, H]
}

/**
 * The LSTM cell (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000), PyTorch's form and
 * gate order (i, f, g, o): i = σ(·), f = σ(·), g = tanh(·), o = σ(·); c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c').
 */
export class LSTMCell extends RecurrentCell {
  readonly hasCell = true;

  constructor(prefix: string, suffix: string, inputSize: number, hiddenSize: number, init?: CellInit) {
    super(prefix, suffix, inputSize, hiddenSize, 4, init);
  }

  step(s: Scope, xProj: Value, state: RNNState, mask?: Value): RNNState {
    const b = s.b;
    const H = this.hiddenSize;
    if (!state.c) throw new Error(`${this.prefix}: an LSTM state needs a cell c`);
    const gates = b.add(xProj, this.projectHidden(s, state.h)); // [batch, 4H]
    const i = b.sigmoid(b.slice(gates, 1, 0, H)); // [batch, H]
    const f = b.sigmoid(b.slice(gates, 1, H, 2 * H)); // [batch, H]
    const g = b.tanh(b.slice(gates, 1, 2 * H, 3 * H)); // [batch, H]
    const o = b.sigmoid(b.slice(gates, 1, 3 * H, 4 * H)); // [batch, H]
    const c = b.add(b.mul(f, state.c), b.mul(i, g)); // [batch, H]
    const h = b.mul(o, b.tanh(c)); // [batch, H]
    return { h: masked(b, mask, h, state.h), c: masked(b, mask, c, state.c) };
  }
}

/**
 * The gated recurrent unit (Cho et al. 2014, §2.3), PyTorch's form and gate order (r, z, n):
 * r = σ(·), z = σ(·), n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
 */
export class GRUCell extends RecurrentCell {
  readonly hasCell = false;

  constructor(prefix: string, suffix: string, inputSize: number, hiddenSize: number, init?: CellInit) {
    super(prefix, suffix, inputSize, hiddenSize, 3, init);
  }

  step(s: Scope, xProj: Value, state: RNNState, mask?: Value): RNNState {
    const b = s.b;
    const H = this.hiddenSize;
    const hProj = this.projectHidden(s, state.h); // [batch, 3H]
    const rz = b.sigmoid(b.add(b.slice(xProj, 1, 0, 2 * H), b.slice(hProj, 1, 0, 2 * H))); // [batch, 2H]
    const r = b.slice(rz, 1, 0, H); // [batch, H]
    const z = b.slice(rz, 1, H, 2 * H); // [batch, H]
    const n = b.tanh(b.add(b.slice(xProj, 1, 2 * H, 3 * H), b.mul(r, b.slice(hProj, 1, 2 * H, 3 * H)))); // [batch, H]
    const h = b.add(n, b.mul(z, b.sub(state.h, n))); // [batch, H]
    return { h: masked(b, mask, h, state.h) };
  }
}

/**
 * Splits x [batch, T, D] (T static) into T values [batch, D]. Halves recursively, so the backward pass pads
 * each gradient only up to its parent piece: O(T log T) work instead of the O(T²) of T slices of the whole.
 */
export function splitSteps(b: Builder, x: Value): Value[] {
  const T = x.shape[1];
  if (typeof T !== "number") throw new Error(`splitSteps needs a static length, got [${x.shape.join(", ")}]`);
  const split = (piece: Value, n: number): Value[] => {
    if (n === 1) return [b.squeeze(piece, [1])]; // [batch, D]
    const half = Math.ceil(n / 2);
    const head = b.slice(piece, 1, 0, half); // [batch, half, D]
    const tail = b.slice(piece, 1, half, n); // [batch, n - half, D]
    return [...split(head, half), ...split(tail, n - half)];
  };
  return split(x, T);
}

/** Stacks T values [batch, D] into [batch, T, D]. */
export function stackSteps(b: Builder, steps: readonly Value[]): Value {
  return b.concat(
    steps.map((x) => b.unsqueeze(x, [1])),
    1,
  ); // [batch, T, D]
}

/** Per-step masks of a bool mask [batch, T] (T static): T values bool [batch, 1]. */
export function stepMasks(b: Builder, mask: Value): Value[] {
  const T = mask.shape[1] as number;
  return Array.from({ length: T }, (_, t) => b.slice(mask, 1, t, t + 1)); // each [batch, 1]
}

export interface RNNOptions {
  inputSize: number;
  hiddenSize: number;
  /** Stacked layers (default 1). */
  layers?: number;
  /** A second, reversed direction per layer whose outputs are concatenated (default false). */
  bidirectional?: boolean;
  /** Dropout on the outputs of every layer but the last (PyTorch's `dropout`; training graphs only). */
  dropout?: number;
  init?: CellInit;
}

export interface RNNResult {
  /** Top layer outputs [batch, T, directions·H] (padded steps repeat the carried state). */
  output: Value;
  /** Final state of every layer and direction, PyTorch's h_n order: index = layer·directions + direction. */
  final: RNNState[];
}

/** A multi-layer, optionally bidirectional recurrent stack: torch.nn.LSTM / torch.nn.GRU. */
export abstract class RNN extends Module {
  readonly layers: number;
  readonly directions: number;
  readonly hiddenSize: number;
  readonly dropout: number;
  /** cells[layer][direction] */
  readonly cells: RecurrentCell[][];

  constructor(prefix: string, o: RNNOptions, cell: (suffix: string, inputSize: number) => RecurrentCell) {
    super(prefix);
    this.layers = o.layers ?? 1;
    this.directions = o.bidirectional ? 2 : 1;
    this.hiddenSize = o.hiddenSize;
    this.dropout = o.dropout ?? 0;
    this.cells = Array.from({ length: this.layers }, (_, k) => {
      const inputSize = k === 0 ? o.inputSize : this.directions * o.hiddenSize;
      const forward = this.child(cell(`_l${k}`, inputSize));
      return this.directions === 2 ? [forward, this.child(cell(`_l${k}_reverse`, inputSize))] : [forward];
    });
  }

  /**
   * Runs the stack over a whole sequence. x: [batch, T, in] with T static; mask: bool [batch, T] (false at
   * padding: the state is carried over, so a reversed direction starts at each row's last real step);
   * initial: a state per layer and direction (default zeros). The input projection is one matmul per layer.
   */
  forward(s: Scope, x: Value, mask?: Value, initial?: readonly RNNState[]): RNNResult {
    const b = s.b;
    const masks = mask ? stepMasks(b, mask) : undefined;
    const final: RNNState[] = [];
    let input = x; // [batch, T, in]
    for (let k = 0; k < this.layers; k++) {
      const outputs = this.cells[k]!.map((cell, d) => {
        const steps = splitSteps(b, cell.projectInput(s, input)); // T × [batch, gates·H]
        const start = initial?.[k * this.directions + d] ?? cell.zeroState(s, x);
        const order = steps.map((_, t) => (d === 0 ? t : steps.length - 1 - t));
        const hs: Value[] = new Array(steps.length);
        let state = start;
        for (const t of order) {
          state = cell.step(s, steps[t]!, state, masks?.[t]);
          hs[t] = state.h;
        }
        final.push(state);
        return stackSteps(b, hs); // [batch, T, H]
      });
      input = outputs.length === 1 ? outputs[0]! : b.concat(outputs, 2); // [batch, T, directions·H]
      if (k < this.layers - 1 && s.training) input = b.dropout(input, this.dropout);
    }
    return { output: input, final };
  }

  /**
   * One step of a unidirectional stack: x [batch, in], states one per layer -> the top layer's output
   * [batch, H] and the new states (a decoder's step; the same arithmetic as `forward`).
   */
  step(s: Scope, x: Value, states: readonly RNNState[]): { output: Value; states: RNNState[] } {
    if (this.directions !== 1) throw new Error(`${this.prefix}: step() needs a unidirectional stack`);
    const b = s.b;
    const next: RNNState[] = [];
    let input = x; // [batch, in]
    this.cells.forEach(([cell], k) => {
      const state = cell!.step(s, cell!.projectInput(s, input), states[k]!);
      next.push(state);
      input = state.h; // [batch, H]
      if (k < this.layers - 1 && s.training) input = b.dropout(input, this.dropout);
    });
    return { output: input, states: next };
  }
}

/** torch.nn.LSTM: stacked (optionally bidirectional) LSTM layers with PyTorch parameter names. */
export class LSTM extends RNN {
  constructor(prefix: string, o: RNNOptions) {
    super(prefix, o, (suffix, inputSize) => new LSTMCell(prefix, suffix, inputSize, o.hiddenSize, o.init));
  }
}

/** torch.nn.GRU: stacked (optionally bidirectional) GRU layers with PyTorch parameter names. */
export class GRU extends RNN {
  constructor(prefix: string, o: RNNOptions) {
    super(prefix, o, (suffix, inputSize) => new GRUCell(prefix, suffix, inputSize, o.hiddenSize, o.init));
  }
}
