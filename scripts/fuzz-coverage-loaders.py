#!/usr/bin/env python3
"""Branch coverage of the loader and serializer functions, per loader, from
`llvm-cov export -format=text` (fuzz-coverage.sh runs it on build-cov/coverage.json).

A branch counts twice (taken, not taken), as llvm-cov report counts it. A function built
into several fuzz targets is counted once, a branch outcome covered if any target covers
it; each template instantiation (require_field<T>) is its own function. The loaders are
named below by their demangled names; a row whose functions are not found is an error,
so that a rename cannot drop a loader from the total silently.
"""
import collections
import json
import re
import subprocess
import sys

# (row, file, regular expressions on the demangled name, from its start)
LOADERS = [
    (".pt pre-check (`check_pt_archive_bytes`)", "pt_check.cpp", [r"latent::check_pt_archive_bytes\("]),
    ("IDX (`load_idx`, gzip)", "dataset.cpp", [r"latent::load_idx\(", r"latent::\(anonymous namespace\)::read_maybe_gz\("]),
    ("expressions (lexer, parser)", "expression.cpp",
     [r"latent::\(anonymous namespace\)::lex\(", r"latent::\(anonymous namespace\)::Parser::"]),
    ("sessions (`session_from_json`, `session_to_json`, field helpers)", "session.cpp",
     [r"latent::session_from_json\(", r"latent::session_to_json", r"latent::\(anonymous namespace\)::(list_field|int_field|plain)"]),
    ("walks in sessions (`walk_from_json`, `walk_to_json`)", "walk.cpp", [r"latent::walk_from_json\(", r"latent::walk_to_json"]),
    ("raw arrays (`load_raw_array`)", "dataset.cpp", [r"latent::load_raw_array\("]),
    ("JSON reader (`parse_json_text`, depth scan)", "json_file.cpp",
     [r"latent::parse_json_text\(", r"latent::\(anonymous namespace\)::too_deep_at\("]),
    ("image (`load_image`, PNG/JPEG gate; stb itself is not instrumented)", "image_io.cpp",
     [r"latent::load_image\("]),
    ("word2vec text, GloVe, fastText (`Loader::text`, reader)", "word_vectors.cpp",
     [r"latent::WordVectors::Loader::text\(", r"latent::\(anonymous namespace\)::Reader::", r"latent::\(anonymous namespace\)::parse_float\("]),
    ("word2vec binary (`Loader::binary`, input buffer)", "word_vectors.cpp",
     [r"latent::WordVectors::Loader::binary\(", r"latent::WordVectors::Loader::Input::"]),
    ("PCA package (`PcaSpace::load`, `read_f32_file`)", "", [r"latent::PcaSpace::load\(", r"latent::read_f32_file\("]),
    ("word vectors, common (`WordVectors::open` incl. `.lsv` and cache, sniffing, reservation)", "word_vectors.cpp",
     [r"latent::WordVectors::open\(", r"latent::\(anonymous namespace\)::sniff\(", r"latent::WordVectors::Loader::reserve\("]),
    ("model.json (`read_model_json`, `require_field`, `read_observation`)", "model_package.cpp",
     [r"latent::read_model_json\(", r"[^(]*latent::require_field<", r"bool latent::\(anonymous namespace\)::whole_in_range<",
      r"latent::read_observation\("]),
    ("latent files (`read_latent_json`)", "latent_io.cpp", [r"latent::read_latent_json\("]),
]
# Shown below the total, not counted in it (not in the set measured before).
EXTRA = [
    ("`.lsv` cache writer (`WordVectors::save_native`)", "word_vectors.cpp", [r"latent::WordVectors::save_native\("]),
]


def main():
    data = json.load(open(sys.argv[1]))
    funcs = collections.OrderedDict()  # mangled name -> (file, {branch: [taken, not taken]})
    for d in data["data"]:
        for f in d["functions"]:
            branches = funcs.setdefault(f["name"], (f["filenames"][0], {}))[1]
            for b in f.get("branches", []):
                loc = (f["filenames"][b[6]], b[0], b[1], b[2], b[3])
                seen = branches.setdefault(loc, [False, False])
                seen[0] |= b[4] > 0
                seen[1] |= b[5] > 0
    names = list(funcs)
    demangled = subprocess.run(["llvm-cxxfilt-14"], input="\n".join(n.split(":")[-1] for n in names),
                               capture_output=True, text=True, check=True).stdout.split("\n")

    def row(title, file, patterns):
        total = covered = 0
        hits = []
        for mangled, name in zip(names, demangled):
            path, branches = funcs[mangled]
            if file and not path.endswith("/" + file):
                continue
            if any(re.match(p, name) for p in patterns):
                hits.append(name)
                total += 2 * len(branches)
                covered += sum(t + n for t, n in branches.values())
        if not hits:
            sys.exit(f"fuzz-coverage-loaders: no function found for '{title}'")
        return total, covered

    def pct(c, t):
        return f"{100.0 * c / t:.1f}%" if t else "-"

    print("| loader | branches | covered |\n|---|---|---|")
    all_t = all_c = 0
    for title, file, patterns in LOADERS:
        t, c = row(title, file, patterns)
        all_t, all_c = all_t + t, all_c + c
        print(f"| {title} | {t} | {pct(c, t)} |")
    print(f"| **all of the above** | **{all_t}** | **{pct(all_c, all_t)}** |")
    for title, file, patterns in EXTRA:
        t, c = row(title, file, patterns)
        print(f"| {title} (not in the total) | {t} | {pct(c, t)} |")


if __name__ == "__main__":
    main()
