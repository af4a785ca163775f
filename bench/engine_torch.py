#!/usr/bin/python3
# The PyTorch side of `npm run bench:engine`: the reference pre-LN Transformer training step,
# timed on CPU, so our ONNX-Runtime step has a fixed yardstick (plain mode, or --serve to interleave).
"""Reference Transformer training step in PyTorch (CPU), for the engine benchmark.

Model: pre-LN encoder-decoder Transformer, d_model 256, 4 heads, ff 1024 (ReLU), 3 + 3 layers,
biases on, LayerNorm eps 1e-5, a final LayerNorm after each stack, sinusoidal positions,
embeddings scaled by sqrt(d_model), one vocabulary of 8000 shared by the source embedding,
the target embedding and the output projection (tied, no output bias), dropout 0.
Batch: 64 sentences, source and target length 24, random ids from a fixed seed, no padding;
the same batch every step. The target is drawn with length 25: decoder input = ids[:, :-1],
labels = ids[:, 1:] (teacher forcing). Loss: mean token cross-entropy.
Step: zero grads, forward, backward, global-norm clip at 1.0, AdamW
(lr 1e-3, betas 0.9/0.98, eps 1e-9, weight decay 0.01).

Attention is written as matmul + softmax + matmul (no nn.Transformer / scaled_dot_product_attention
fast paths), so the arithmetic is the same as the ONNX graph's and the FLOP count is plain.

Usage (use Debian's /usr/bin/python3 with python3-torch + libopenblas0-pthread):
  /usr/bin/python3 bench/engine_torch.py --steps 40 --warmup 5
      prints one JSON object: median_ms, params, peak_rss_mb, torch_version, threads,
      flops_per_step (+ steps, warmup, mean_ms, gflops_per_s, first_loss, last_loss).
  /usr/bin/python3 bench/engine_torch.py --serve
      reads commands from stdin, one per line, and answers one JSON line per command:
        "step" -> {"ms": <step time>, "loss": <loss of that step>}
        "info" -> the plain-mode metadata (params, flops_per_step, peak_rss_mb, ...)
      empty lines are ignored; "quit" or end of input exits with code 0; any other line answers
      {"error": "..."} naming the line.
Exit codes: 0 ok, 2 bad arguments, 3 torch is not installed.
Threads: --threads (torch intra-op threads, default 1) and --blas-threads (OPENBLAS_NUM_THREADS,
default 2; set before torch is imported). On a 2-core machine torch 1 / OpenBLAS 2 is fastest.
"""

import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

# Fixed configuration of the reference model and batch (must match the TypeScript side).
VOCAB = 8000
D_MODEL = 256
HEADS = 4
D_FF = 1024
ENC_LAYERS = 3
DEC_LAYERS = 3
BATCH = 64
SRC_LEN = 24
TGT_LEN = 24
LN_EPS = 1e-5
LR = 1e-3
BETAS = (0.9, 0.98)
ADAM_EPS = 1e-9
WEIGHT_DECAY = 0.01
CLIP_NORM = 1.0
SEED = 1234


def parse_args(argv):
    """Parses the command line; thread counts must be known before torch is imported."""
    p = argparse.ArgumentParser(description="PyTorch reference training step for bench:engine")
    p.add_argument("--steps", type=int, default=40, help="timed steps (plain mode)")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps before timing (plain mode)")
    p.add_argument("--serve", action="store_true", help="run one step per 'step' line on stdin")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    p.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="OPENBLAS_NUM_THREADS (default: the env var if set, else 2)",
    )
    args = p.parse_args(argv)
    if args.steps < 1:
        p.error("--steps must be >= 1")
    if args.warmup < 0:
        p.error("--warmup must be >= 0")
    if args.threads < 1:
        p.error("--threads must be >= 1")
    if args.blas_threads is not None and args.blas_threads < 1:
        p.error("--blas-threads must be >= 1")
    return args


def param_count():
    """Exact parameter count of the reference model (checked against the built model).

    attention block  = 4 * (d*d + d)                  (q, k, v, o projections with bias)
    feed-forward     = d*ff + ff + ff*d + d
    layer norm       = 2*d
    encoder layer    = attention + feed-forward + 2 layer norms
    decoder layer    = 2 attentions + feed-forward + 3 layer norms
    total            = V*d (one tied embedding) + Le*enc + Ld*dec + 2 final layer norms
    With V=8000, d=256, ff=1024, Le=Ld=3: 2,048,000 + 3*789,760 + 3*1,053,440 + 1,024 = 7,578,624.
    """
    d, ff = D_MODEL, D_FF
    attn = 4 * (d * d + d)
    ffn = d * ff + ff + ff * d + d
    ln = 2 * d
    enc = attn + ffn + 2 * ln
    dec = 2 * attn + ffn + 3 * ln
    return VOCAB * d + ENC_LAYERS * enc + DEC_LAYERS * dec + 2 * ln


def flops_per_step():
    """Analytic matmul FLOPs of one training step (a multiply-add counts as 2 FLOPs).

    Ns = B*S source tokens, Nt = B*T target tokens; a Linear in->out on N tokens costs 2*N*in*out.
    encoder layer : 4 * 2*Ns*d*d        (q, k, v, o)
                  + 2 * 2*B*S*S*d       (scores q.k^T and probs.v, all heads together)
                  + 2 * 2*Ns*d*ff       (two feed-forward linears)
    decoder layer : 4 * 2*Nt*d*d + 2 * 2*B*T*T*d          (causal self-attention, full T x T)
                  + 2 * 2*Nt*d*d + 2 * 2*Ns*d*d           (cross-attention q, o on target; k, v on memory)
                  + 2 * 2*B*T*S*d                         (cross-attention scores and probs.v)
                  + 2 * 2*Nt*d*ff                         (feed-forward)
    output        : 2*Nt*d*V                              (tied projection to the vocabulary)
    forward = Le*encoder + Ld*decoder + output; step = 3 * forward: every matmul here has both
    operands requiring a gradient (the embedding is a parameter, so even the first layer's input
    gradient is needed), so its backward is two matmuls of the same size. Elementwise ops, softmax,
    layer norm, cross-entropy, clipping and AdamW are not counted.
    With the fixed sizes: forward 23,542,628,352, step 70,627,885,056 (~70.6 GFLOP).
    """
    b, s, t, d, ff, v = BATCH, SRC_LEN, TGT_LEN, D_MODEL, D_FF, VOCAB
    ns, nt = b * s, b * t
    enc = 4 * 2 * ns * d * d + 2 * 2 * b * s * s * d + 2 * 2 * ns * d * ff
    dec = (
        4 * 2 * nt * d * d
        + 2 * 2 * b * t * t * d
        + 2 * 2 * nt * d * d
        + 2 * 2 * ns * d * d
        + 2 * 2 * b * t * s * d
        + 2 * 2 * nt * d * ff
    )
    out = 2 * nt * d * v
    return 3 * (ENC_LAYERS * enc + DEC_LAYERS * dec + out)


def build_model(torch):
    """Defines the module classes against the imported torch and returns the model class."""
    nn = torch.nn
    F = torch.nn.functional

    class MultiHeadAttention(nn.Module):
        """Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V, with h heads (Vaswani et al. 3.2)."""

        def __init__(self):
            super().__init__()
            self.q = nn.Linear(D_MODEL, D_MODEL)
            self.k = nn.Linear(D_MODEL, D_MODEL)
            self.v = nn.Linear(D_MODEL, D_MODEL)
            self.o = nn.Linear(D_MODEL, D_MODEL)
            self.dk = D_MODEL // HEADS

        def split(self, x):
            b, n, _ = x.shape
            return x.view(b, n, HEADS, self.dk).transpose(1, 2)  # [B, h, n, dk]

        def forward(self, x, mem, mask=None):
            # x: [B, Lq, d], mem: [B, Lk, d], mask: [Lq, Lk] bool (True = blocked) or None
            q = self.split(self.q(x))  # [B, h, Lq, dk]
            k = self.split(self.k(mem))  # [B, h, Lk, dk]
            v = self.split(self.v(mem))  # [B, h, Lk, dk]
            scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(self.dk))  # [B, h, Lq, Lk]
            if mask is not None:
                scores = scores.masked_fill(mask, float("-inf"))
            probs = torch.softmax(scores, dim=-1)  # [B, h, Lq, Lk]
            ctx = torch.matmul(probs, v)  # [B, h, Lq, dk]
            b, _, lq, _ = ctx.shape
            ctx = ctx.transpose(1, 2).reshape(b, lq, D_MODEL)  # [B, Lq, d]
            return self.o(ctx)  # [B, Lq, d]

    class FeedForward(nn.Module):
        """FFN(x) = max(0, x W1 + b1) W2 + b2 (Vaswani et al. 3.3)."""

        def __init__(self):
            super().__init__()
            self.w1 = nn.Linear(D_MODEL, D_FF)
            self.w2 = nn.Linear(D_FF, D_MODEL)

        def forward(self, x):
            return self.w2(F.relu(self.w1(x)))  # [B, L, d]

    class TransformerEncoderLayer(nn.Module):
        """Pre-LN encoder layer: x + SelfAttn(LN(x)), then x + FFN(LN(x))."""

        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(D_MODEL, eps=LN_EPS)
            self.attn = MultiHeadAttention()
            self.ln2 = nn.LayerNorm(D_MODEL, eps=LN_EPS)
            self.ffn = FeedForward()

        def forward(self, x):
            h = self.ln1(x)  # [B, S, d]
            x = x + self.attn(h, h)  # [B, S, d]
            return x + self.ffn(self.ln2(x))  # [B, S, d]

    class TransformerDecoderLayer(nn.Module):
        """Pre-LN decoder layer: causal self-attention, cross-attention, FFN, each residual."""

        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(D_MODEL, eps=LN_EPS)
            self.selfAttn = MultiHeadAttention()
            self.ln2 = nn.LayerNorm(D_MODEL, eps=LN_EPS)
            self.crossAttn = MultiHeadAttention()
            self.ln3 = nn.LayerNorm(D_MODEL, eps=LN_EPS)
            self.ffn = FeedForward()

        def forward(self, y, mem, causal):
            h = self.ln1(y)  # [B, T, d]
            y = y + self.selfAttn(h, h, causal)  # [B, T, d]
            y = y + self.crossAttn(self.ln2(y), mem)  # [B, T, d]
            return y + self.ffn(self.ln3(y))  # [B, T, d]

    class EncoderDecoder(nn.Module):
        """The reference seq2seq Transformer with one tied embedding / output projection."""

        def __init__(self):
            super().__init__()
            self.embed = nn.Parameter(torch.randn(VOCAB, D_MODEL) * D_MODEL**-0.5)
            self.encoder = nn.ModuleList([TransformerEncoderLayer() for _ in range(ENC_LAYERS)])
            self.encNorm = nn.LayerNorm(D_MODEL, eps=LN_EPS)
            self.decoder = nn.ModuleList([TransformerDecoderLayer() for _ in range(DEC_LAYERS)])
            self.decNorm = nn.LayerNorm(D_MODEL, eps=LN_EPS)
            maxLen = max(SRC_LEN, TGT_LEN)
            pos = torch.arange(maxLen, dtype=torch.float32).unsqueeze(1)  # [L, 1]
            rate = torch.exp(torch.arange(0, D_MODEL, 2, dtype=torch.float32) * (-math.log(10000.0) / D_MODEL))
            pe = torch.zeros(maxLen, D_MODEL)  # [L, d]
            pe[:, 0::2] = torch.sin(pos * rate)
            pe[:, 1::2] = torch.cos(pos * rate)
            self.register_buffer("pe", pe, persistent=False)
            causal = torch.triu(torch.ones(TGT_LEN, TGT_LEN, dtype=torch.bool), diagonal=1)
            self.register_buffer("causal", causal, persistent=False)  # [T, T], True above diagonal

        def embedTokens(self, ids):
            # ids: [B, L] int64 -> [B, L, d]
            return F.embedding(ids, self.embed) * math.sqrt(D_MODEL) + self.pe[: ids.shape[1]]

        def forward(self, src, tgtIn):
            # src: [B, S], tgtIn: [B, T] -> logits [B, T, V]
            x = self.embedTokens(src)  # [B, S, d]
            for layer in self.encoder:
                x = layer(x)
            mem = self.encNorm(x)  # [B, S, d]
            y = self.embedTokens(tgtIn)  # [B, T, d]
            for layer in self.decoder:
                y = layer(y, mem, self.causal)
            y = self.decNorm(y)  # [B, T, d]
            return torch.matmul(y, self.embed.t())  # [B, T, V]

    return EncoderDecoder


class Trainer:
    """Holds the model, the fixed batch and the optimizer; step() runs and times one step."""

    def __init__(self, torch):
        self.torch = torch
        torch.manual_seed(SEED)
        self.model = build_model(torch)()
        n = sum(p.numel() for p in self.model.parameters())
        if n != param_count():
            raise RuntimeError(f"model has {n} parameters, formula says {param_count()}")
        g = torch.Generator().manual_seed(SEED + 1)
        self.src = torch.randint(0, VOCAB, (BATCH, SRC_LEN), generator=g)  # [B, S]
        tgt = torch.randint(0, VOCAB, (BATCH, TGT_LEN + 1), generator=g)  # [B, T+1]
        self.tgtIn = tgt[:, :-1].contiguous()  # [B, T]
        self.labels = tgt[:, 1:].contiguous()  # [B, T]
        self.opt = torch.optim.AdamW(
            self.model.parameters(), lr=LR, betas=BETAS, eps=ADAM_EPS, weight_decay=WEIGHT_DECAY
        )

    def step(self):
        """One full training step; returns (milliseconds, loss)."""
        torch = self.torch
        t0 = time.perf_counter()
        self.opt.zero_grad(set_to_none=True)
        logits = self.model(self.src, self.tgtIn)  # [B, T, V]
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), self.labels.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), CLIP_NORM)
        self.opt.step()
        lossValue = loss.item()
        return (time.perf_counter() - t0) * 1000.0, lossValue


def peak_rss_mb():
    """Peak resident set size of this process in MB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def info(torch, args):
    """Metadata shared by plain mode and the serve-mode 'info' command."""
    return {
        "params": param_count(),
        "flops_per_step": flops_per_step(),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "torch_version": torch.__version__,
        "threads": {"torch": torch.get_num_threads(), "openblas": int(os.environ["OPENBLAS_NUM_THREADS"])},
    }


def run_plain(torch, args):
    """Warm-up, then time args.steps steps and print one JSON object."""
    trainer = Trainer(torch)
    firstLoss = None
    for _ in range(args.warmup):
        _, loss = trainer.step()
        firstLoss = loss if firstLoss is None else firstLoss
    times = []
    for _ in range(args.steps):
        ms, loss = trainer.step()
        firstLoss = loss if firstLoss is None else firstLoss
        times.append(ms)
    median = statistics.median(times)
    result = {"median_ms": round(median, 2), **info(torch, args)}
    result.update(
        {
            "steps": args.steps,
            "warmup": args.warmup,
            "mean_ms": round(statistics.fmean(times), 2),
            "gflops_per_s": round(flops_per_step() / (median / 1000.0) / 1e9, 1),
            "first_loss": round(firstLoss, 6),
            "last_loss": round(loss, 6),
        }
    )
    print(json.dumps(result), flush=True)


def run_serve(torch, args):
    """Answers one JSON line per stdin command, so another process can interleave its steps."""
    trainer = Trainer(torch)
    out = sys.stdout
    for lineNo, raw in enumerate(sys.stdin, start=1):
        cmd = raw.strip()
        if cmd == "":
            continue
        if cmd == "quit":
            break
        if cmd == "step":
            ms, loss = trainer.step()
            reply = {"ms": round(ms, 3), "loss": loss}
        elif cmd == "info":
            reply = info(torch, args)
        else:
            reply = {"error": f"stdin line {lineNo}: unknown command {cmd!r} (expected 'step', 'info' or 'quit')"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


def main(argv):
    args = parse_args(argv)
    if args.blas_threads is not None:
        os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas_threads)
    else:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
    try:
        import torch
    except ImportError as e:
        sys.stderr.write(
            f"engine_torch.py: PyTorch is not installed for {sys.executable} ({e}). "
            "Install Debian's python3-torch and libopenblas0-pthread and run with /usr/bin/python3.\n"
        )
        return 3
    torch.set_num_threads(args.threads)
    if args.serve:
        run_serve(torch, args)
    else:
        run_plain(torch, args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
