#!/usr/bin/python3
"""The storyteller's skip-thought network in PyTorch: the peer for the C++ trainer's
speed, for encode/decode latency with the same weights, and the exporter of
TorchScript sentence packages (docs/model-format.md, kind "skipthought", format
"torchscript").

Subcommands (each prints one JSON object on stdout):
  train --books DIR_OR_FILE... | --book-tokens FILE  --captions FILE --vocab VOCAB.tsv --steps N [--batch 64]
        [--dim 512 --embed 256 --neighbour-weight 0.5 --caption-share 0.25 --max-tokens 30]
      trains the same network on the same kind of batches (length-bucketed centres,
      their previous/next sentences, captions alone) and reports sentences/s over the
      timed steps (after 3 untimed ones). --book-tokens reads books already split and
      tokenized by `latent sentences --tokens` (one sentence per line, a blank line
      between books), so that both sides train on the very same sentences.
  latency --package DIR --sentences FILE --batch B --iters N
      loads the C++ package's weights (weights.pt is a TorchScript archive) into this
      module and times encode and greedy decode, in ms per sentence.
  export --out DIR [--from-package DIR] [--vocab-size V --dim D --embed E --seed S]
      writes a TorchScript package: encoder.pt, decoder.pt (init/step), vocab.tsv,
      model.json; with --from-package the C++ model's weights are used; otherwise a
      seeded random model with a synthetic vocabulary. Also writes reference.json:
      token ids of a few sentences, their thoughts and greedy decodes, for tests.
Runs with one thread. Use Debian's /usr/bin/python3.
"""
import argparse
import json
import os
import random
import re
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch
import torch.nn as nn
from typing import Tuple

PAD, UNK, BOS, EOS = 0, 1, 2, 3


def default_cutoffs(vocab):
    if vocab <= 4000:
        return [max(2, vocab // 4)]
    return [2000, min(vocab - 1, 6000)]


class SkipThought(nn.Module):
    def __init__(self, vocab: int, embed: int, dim: int, cutoffs, div_value: float = 4.0, dropout: float = 0.1):
        super().__init__()
        self.dim = dim
        self.embedding = nn.Embedding(vocab, embed)
        self.role_embedding = nn.Embedding(3, embed)
        self.encoder = nn.GRU(embed, dim, batch_first=True)
        self.decoder = nn.GRU(embed, dim, batch_first=True)
        self.thought_in = nn.Linear(dim, embed)
        self.init_state = nn.Linear(dim, 3 * dim)
        self.out_dropout = nn.Dropout(dropout)
        self.softmax = nn.AdaptiveLogSoftmaxWithLoss(dim, vocab, cutoffs, div_value=div_value)

    def encode(self, ids, lengths):
        out, _ = self.encoder(self.embedding(ids))
        idx = (lengths - 1).clamp_min(0).view(-1, 1, 1).expand(-1, 1, out.size(2))
        return out.gather(1, idx).squeeze(1)

    def init(self, thought, role):
        a = self.init_state(thought).view(thought.size(0), 3, self.dim)
        idx = role.view(-1, 1, 1).expand(-1, 1, self.dim)
        return torch.tanh(a.gather(1, idx).squeeze(1)).unsqueeze(0)

    def decode_states(self, inputs, thought, role):
        cond = self.thought_in(thought) + self.role_embedding(role)
        x = self.embedding(inputs) + cond.unsqueeze(1)
        out, _ = self.decoder(x, self.init(thought, role))
        return self.out_dropout(out)

    def step(self, token, h, thought, role):
        cond = self.thought_in(thought) + self.role_embedding(role)
        x = (self.embedding(token) + cond).unsqueeze(1)
        out, h2 = self.decoder(x, h)
        return self.softmax.log_prob(out.squeeze(1)), h2


# ---------------------------------------------------------------- TorchScript wrappers

class ScriptEncoder(nn.Module):
    def __init__(self, net: SkipThought):
        super().__init__()
        self.embedding = net.embedding
        self.encoder = net.encoder

    def forward(self, ids, lengths):
        out, _ = self.encoder(self.embedding(ids))
        idx = (lengths - 1).clamp_min(0).view(-1, 1, 1).expand(-1, 1, out.size(2))
        return out.gather(1, idx).squeeze(1)


class ScriptDecoder(nn.Module):
    """init/step with the adaptive softmax's full log-probabilities written out, so
    that TorchScript can compile it (head + one tail per cluster)."""

    def __init__(self, net: SkipThought):
        super().__init__()
        self.dim = net.dim
        self.embedding = net.embedding
        self.role_embedding = net.role_embedding
        self.decoder = net.decoder
        self.thought_in = net.thought_in
        self.init_state = net.init_state
        self.head = net.softmax.head
        self.tail = net.softmax.tail
        self.shortlist = int(net.softmax.shortlist_size)
        self.n_clusters = int(net.softmax.n_clusters)

    def forward(self, thought, role):
        return self.init(thought, role)

    @torch.jit.export
    def init(self, thought, role):
        a = self.init_state(thought).view(thought.size(0), 3, self.dim)
        idx = role.view(-1, 1, 1).expand(-1, 1, self.dim)
        return torch.tanh(a.gather(1, idx).squeeze(1)).unsqueeze(0)

    @torch.jit.export
    def step(self, token, h, thought, role) -> Tuple[torch.Tensor, torch.Tensor]:
        cond = self.thought_in(thought) + self.role_embedding(role)
        x = (self.embedding(token) + cond).unsqueeze(1)
        out, h2 = self.decoder(x, h)
        o = out.squeeze(1)
        head = torch.log_softmax(self.head(o), dim=1)
        parts = [head[:, : self.shortlist]]
        i = 0
        for t in self.tail:
            cluster = torch.log_softmax(t(o), dim=1)
            parts.append(cluster + head[:, self.shortlist + i].unsqueeze(1))
            i += 1
        return torch.cat(parts, dim=1), h2


# ---------------------------------------------------------------- data

TOKEN = re.compile(r"n't|'s\b|'re\b|'ve\b|'ll\b|'d\b|'m\b|[a-z0-9]+(?:[-'][a-z0-9]+)*|--|\.\.\.|[^\sa-z0-9_]")
SENT = re.compile(r'(?:(?<=[.!?])|(?<=[.!?]["\')]))\s+(?=["\'(]?[A-Z])')


def tokenize(s):
    s = s.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"').lower()
    return TOKEN.findall(s)


def read_vocab(path):
    words = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2:
                words.append(parts[1])
    return words


def book_sentences(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".txt"))
        else:
            files.append(p)
    books = []
    for f in files:
        text = open(f, encoding="utf-8", errors="replace").read()
        sents = []
        for para in re.split(r"\n\s*\n", text):
            para = " ".join(para.split()).replace("_", "")
            sents += [s for s in SENT.split(para) if s]
        books.append(sents)
    return books


# ---------------------------------------------------------------- commands

def cmd_train(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    words = read_vocab(a.vocab)
    index = {w: i for i, w in enumerate(words)}
    enc = lambda s: [index.get(t, UNK) for t in tokenize(s)]
    if a.book_tokens:
        books, cur = [], []
        for line in open(a.book_tokens, encoding="utf-8"):
            line = line.rstrip("\n")
            if not line:
                if cur:
                    books.append(cur)
                cur = []
                continue
            cur.append([index.get(t, UNK) for t in line.split(" ")])
        if cur:
            books.append(cur)
    else:
        books = [[enc(s) for s in b] for b in book_sentences(a.books)]
    caps = [enc(l) for l in open(a.captions, encoding="utf-8") if l.strip()]
    centres = [(bi, si) for bi, b in enumerate(books) for si, s in enumerate(b) if a.min_tokens <= len(s) <= a.max_tokens]
    caps = [c for c in caps if a.min_tokens <= len(c) <= a.max_tokens]
    net = SkipThought(len(words), a.embed, a.dim, default_cutoffs(len(words)), dropout=a.dropout)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    net.train()

    def batches():
        while True:
            chunk = []
            for _ in range(32 * a.batch):
                if rng.random() < a.caption_share:
                    chunk.append((None, rng.choice(caps)))
                else:
                    chunk.append(rng.choice(centres))
            key = lambda c: len(c[1]) if c[0] is None else len(books[c[0]][c[1]])
            chunk.sort(key=key)
            bs = [chunk[i:i + a.batch] for i in range(0, len(chunk), a.batch)]
            rng.shuffle(bs)
            for b in bs:
                yield b

    def make(batch):
        enc_ids, rows, roles, targets = [], [], [], []
        for k, c in enumerate(batch):
            if c[0] is None:
                s = c[1][: a.max_tokens]
                enc_ids.append(s)
                rows.append(k); roles.append(1); targets.append(s)
                continue
            bi, si = c
            b = books[bi]
            s = b[si][: a.max_tokens]
            enc_ids.append(s)
            rows.append(k); roles.append(1); targets.append(s)
            if a.neighbour_weight > 0:
                if si > 0 and b[si - 1]:
                    rows.append(k); roles.append(0); targets.append(b[si - 1][: a.max_tokens])
                if si + 1 < len(b) and b[si + 1]:
                    rows.append(k); roles.append(2); targets.append(b[si + 1][: a.max_tokens])
        x, lens = pad(enc_ids)
        L = max(len(t) for t in targets) + 1
        din = torch.zeros(len(targets), L, dtype=torch.long)
        dout = torch.zeros(len(targets), L, dtype=torch.long)
        for r, t in enumerate(targets):
            din[r, 0] = BOS
            for j, w in enumerate(t):
                dout[r, j] = w
                if j + 1 < L:
                    din[r, j + 1] = UNK if rng.random() < a.word_dropout else w
            dout[r, len(t)] = EOS
        return x, lens, torch.tensor(rows), torch.tensor(roles), din, dout

    gen = batches()
    done = 0
    t0 = None
    for step in range(a.steps + 3):
        if step == 3:
            t0 = time.perf_counter()
            done = 0
        batch = next(gen)
        x, lens, rows, roles, din, dout = make(batch)
        opt.zero_grad()
        th = net.encode(x, lens).index_select(0, rows)
        states = net.decode_states(din, th, roles)
        mask = dout.ne(PAD).view(-1)
        flat = states.reshape(-1, net.dim)[mask]
        tgt = dout.view(-1)[mask]
        tr = roles.view(-1, 1).expand(-1, dout.size(1)).reshape(-1)[mask]
        logp = net.softmax(flat, tgt).output
        self_ = tr.eq(1)
        loss = -logp[self_].mean()
        if (~self_).any():
            loss = loss + a.neighbour_weight * (-logp[~self_].mean())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        done += len(batch)
    dt = time.perf_counter() - t0
    print(json.dumps({"peer": "python3-torch " + torch.__version__, "steps": a.steps, "batch": a.batch,
                      "sentences_per_s": done / dt, "seconds": dt, "final_loss": float(loss)}))


def load_cpp_weights(package):
    meta = json.load(open(os.path.join(package, "model.json")))
    arch = meta["text"]["arch"]
    net = SkipThought(arch["vocab"], arch["embed"], arch["dim"], arch["cutoffs"], arch.get("div_value", 4.0), 0.0)
    archive = torch.jit.load(os.path.join(package, meta["text"]["weights"]), map_location="cpu")
    state = {k: v.float() for k, v in archive.state_dict().items()}
    missing = net.load_state_dict(state, strict=False)
    if missing.missing_keys:
        raise SystemExit("weights.pt lacks " + ", ".join(missing.missing_keys))
    net.eval()
    return net, meta


def pad(batch):
    T = max(1, max(len(s) for s in batch))
    x = torch.zeros(len(batch), T, dtype=torch.long)
    lens = torch.ones(len(batch), dtype=torch.long)
    for i, s in enumerate(batch):
        if s:
            x[i, : len(s)] = torch.tensor(s)
            lens[i] = len(s)
        else:
            x[i, 0] = UNK
    return x, lens


def greedy(net, thought, max_tokens):
    n = thought.size(0)
    role = torch.ones(n, dtype=torch.long)
    h = net.init(thought, role)
    tok = torch.full((n,), BOS, dtype=torch.long)
    out = [[] for _ in range(n)]
    done = [False] * n
    for t in range(max_tokens):
        logp, h = net.step(tok, h, thought, role)
        logp = logp.clone()
        logp[:, [PAD, UNK, BOS]] = float("-inf")
        if t == 0:
            logp[:, EOS] = float("-inf")
        tok = logp.argmax(1)
        alive = False
        for i in range(n):
            if done[i]:
                continue
            if int(tok[i]) == EOS:
                done[i] = True
            else:
                out[i].append(int(tok[i]))
                alive = True
        if not alive:
            break
    return out


def cmd_latency(a):
    torch.set_num_threads(a.threads)
    net, meta = load_cpp_weights(a.package)
    words = read_vocab(os.path.join(a.package, meta["text"]["vocabulary"]))
    index = {w: i for i, w in enumerate(words)}
    sents = [l.strip() for l in open(a.sentences, encoding="utf-8") if l.strip()]
    enc_ms, dec_ms = [], []
    with torch.no_grad():
        for it in range(a.iters + a.warmup):
            t0 = time.perf_counter()  # as a user's encode: tokens, ids, then the network
            b = [[index.get(t, UNK) for t in tokenize(sents[(it * a.batch + k) % len(sents)])][:30] for k in range(a.batch)]
            x, lens = pad(b)
            th = net.encode(x, lens)
            t1 = time.perf_counter()
            greedy(net, th, 35)
            t2 = time.perf_counter()
            if it >= a.warmup:
                enc_ms.append((t1 - t0) * 1000 / a.batch)
                dec_ms.append((t2 - t1) * 1000 / a.batch)
    print(json.dumps({"peer": "python3-torch " + torch.__version__, "batch": a.batch,
                      "encode_ms_per_sentence": statistics.median(enc_ms),
                      "greedy_decode_ms_per_sentence": statistics.median(dec_ms)}))


def cmd_export(a):
    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    if a.from_package:
        net, meta = load_cpp_weights(a.from_package)
        words = read_vocab(os.path.join(a.from_package, meta["text"]["vocabulary"]))
        vocab_lines = open(os.path.join(a.from_package, meta["text"]["vocabulary"]), encoding="utf-8").read()
        dim = meta["latent_dim"]
    else:
        rng = random.Random(a.seed)
        words = ["<pad>", "<unk>", "<bos>", "<eos>", ".", ",", "the", "a", "man", "woman", "horse", "beach",
                 "riding", "on", "of", "and", "she", "he", "said", "was"]
        letters = "abcdefghijklmnopqrstuvwxyz"
        while len(words) < a.vocab_size:
            w = "".join(rng.choice(letters) for _ in range(rng.randint(3, 8)))
            if w not in words:
                words.append(w)
        net = SkipThought(len(words), a.embed, a.dim, default_cutoffs(len(words)), dropout=0.0)
        with torch.no_grad():  # larger weights than the default init, so decodes vary
            for p in net.parameters():
                p.mul_(3.0)
        net.eval()
        vocab_lines = "# synthetic vocabulary\n" + "".join(f"{i}\t{w}\t{w}\t1\t1\n" for i, w in enumerate(words))
        dim = a.dim
    with open(os.path.join(a.out, "vocab.tsv"), "w", encoding="utf-8") as f:
        f.write(vocab_lines)
    enc = torch.jit.script(ScriptEncoder(net))
    dec = torch.jit.script(ScriptDecoder(net))
    enc.save(os.path.join(a.out, "encoder.pt"))
    dec.save(os.path.join(a.out, "decoder.pt"))
    meta = {"format": "latent-studio-model", "format_version": 1, "kind": "skipthought",
            "name": os.path.basename(os.path.normpath(a.out)), "latent_dim": dim,
            "observation": {"modality": "text"},
            "text": {"format": "torchscript", "encoder": "encoder.pt", "decoder": "decoder.pt",
                     "vocabulary": "vocab.tsv", "max_tokens": 30, "neighbour_decoders": True},
            "training": {"exported_by": "bench/skipthought_peer.py export", "seed": a.seed}}
    json.dump(meta, open(os.path.join(a.out, "model.json"), "w"), indent=2)
    # References: thoughts and greedy decodes of a few token sequences.
    index = {w: i for i, w in enumerate(words)}
    sents = ["a man riding a horse on a beach .", "she said the woman was on the horse .", "the man ."]
    ids = [[index.get(t, UNK) for t in s.split()] for s in sents]
    with torch.no_grad():
        x, lens = pad(ids)
        th = net.encode(x, lens)
        dec_ids = greedy(net, th, 12)
        role = torch.ones(len(ids), dtype=torch.long)
        logp, _ = net.step(torch.full((len(ids),), BOS, dtype=torch.long), net.init(th, role), th, role)
    ref = {"sentences": sents, "ids": ids, "thoughts": th.tolist(), "greedy_ids": dec_ids,
           "first_step_logp_sum": [float(v) for v in torch.logsumexp(logp, 1)],
           "first_step_logp": logp[:, :8].tolist()}
    json.dump(ref, open(os.path.join(a.out, "reference.json"), "w"))
    print(json.dumps({"out": a.out, "vocab": len(words), "dim": dim}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--books", nargs="+")
    t.add_argument("--book-tokens")
    t.add_argument("--captions", required=True)
    t.add_argument("--vocab", required=True)
    t.add_argument("--steps", type=int, default=100)
    t.add_argument("--batch", type=int, default=64)
    t.add_argument("--dim", type=int, default=512)
    t.add_argument("--embed", type=int, default=256)
    t.add_argument("--neighbour-weight", type=float, default=0.5)
    t.add_argument("--caption-share", type=float, default=0.25)
    t.add_argument("--word-dropout", type=float, default=0.1)
    t.add_argument("--dropout", type=float, default=0.1)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--max-tokens", type=int, default=30)
    t.add_argument("--min-tokens", type=int, default=3)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=1)
    l = sub.add_parser("latency")
    l.add_argument("--package", required=True)
    l.add_argument("--sentences", required=True)
    l.add_argument("--batch", type=int, default=1)
    l.add_argument("--iters", type=int, default=50)
    l.add_argument("--warmup", type=int, default=3)
    l.add_argument("--threads", type=int, default=1)
    e = sub.add_parser("export")
    e.add_argument("--out", required=True)
    e.add_argument("--from-package")
    e.add_argument("--vocab-size", type=int, default=300)
    e.add_argument("--dim", type=int, default=32)
    e.add_argument("--embed", type=int, default=16)
    e.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    {"train": cmd_train, "latency": cmd_latency, "export": cmd_export}[a.cmd](a)


if __name__ == "__main__":
    main()
