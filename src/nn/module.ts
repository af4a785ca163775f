// Modules and parameters. A module owns named parameter specs (shape, initialiser, weight decay) under a
// Hugging Face-style dotted prefix; a Scope turns parameters into graph values for one graph being built.

import type { Builder } from "../graph/composites.ts";
import type { Value } from "../graph/ir.ts";
import type { Initializer } from "./init.ts";

/** A trainable tensor, named as in the Hugging Face checkpoint of the family a config matches. */
export interface Parameter {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: Initializer;
  /** Whether AdamW's weight decay applies (weights yes; biases, norms and embeddings' defaults per family). */
  readonly decay: boolean;
}

/** Binds parameters to graph values while one graph is being built. */
export interface Scope {
  readonly b: Builder;
  /** True in training graphs (dropout active). */
  readonly training: boolean;
  value(p: Parameter): Value;
}

export abstract class Module {
  private readonly ownParams: Parameter[] = [];
  private readonly children: Module[] = [];

  constructor(readonly prefix: string) {}

  /** Full dotted name of a parameter of this module. */
  protected qualified(name: string): string {
    return this.prefix ? `${this.prefix}.${name}` : name;
  }

  protected param(name: string, shape: readonly number[], init: Initializer, decay = true): Parameter {
    const p: Parameter = { name: this.qualified(name), shape: [...shape], init, decay };
    this.ownParams.push(p);
    return p;
  }

  protected child<M extends Module>(module: M): M {
    this.children.push(module);
    return module;
  }

  /** Every parameter of this module and its children, each once, in registration order. */
  parameters(): Parameter[] {
    const seen = new Set<string>();
    const out: Parameter[] = [];
    const visit = (m: Module): void => {
      for (const p of m.ownParams) {
        if (!seen.has(p.name)) {
          seen.add(p.name);
          out.push(p);
        }
      }
      for (const c of m.children) visit(c);
    };
    visit(this);
    return out;
  }

  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.shape.reduce((a, d) => a * d, 1), 0);
  }
}

/** Parameters as graph constants (inference graphs: ORT pre-packs constant weights). */
export class ConstantScope implements Scope {
  readonly training = false;
  private readonly cache = new Map<string, Value>();

  constructor(
    readonly b: Builder,
    private readonly weights: ReadonlyMap<string, Float32Array>,
  ) {}

  value(p: Parameter): Value {
    const cached = this.cache.get(p.name);
    if (cached) return cached;
    const data = this.weights.get(p.name);
    if (!data) throw new Error(`no weights for parameter "${p.name}"`);
    const size = p.shape.reduce((a, d) => a * d, 1);
    if (data.length !== size) {
      throw new Error(
        `parameter "${p.name}" has ${data.length} values, its shape [${p.shape.join(", ")}] needs ${size}`,
      );
    }
    const v = this.b.constant({ dtype: "float32", dims: [...p.shape], data });
    this.cache.set(p.name, v);
    return v;
  }
}

/** Parameters given as already-built values (the slices of the training step's flat buffer). */
export class BoundScope implements Scope {
  constructor(
    readonly b: Builder,
    private readonly values: ReadonlyMap<string, Value>,
    readonly training: boolean,
  ) {}

  value(p: Parameter): Value {
    const v = this.values.get(p.name);
    if (!v) throw new Error(`parameter "${p.name}" is not bound in this graph`);
    return v;
  }
}
