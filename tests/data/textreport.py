#!/usr/bin/python3
"""Text report: reads every .txt file under a directory and writes word and line statistics.

Usage: textreport.py INPUT_DIR OUTPUT_DIR [--top N] [--min-length N]

Writes OUTPUT_DIR/report.txt (for people) and OUTPUT_DIR/report.json (for programs), and
prints a short summary. Its output depends only on the input files, so two runs on the same
input give the same bytes.
"""

import argparse
import collections
import dataclasses
import hashlib
import json
import os
import re
import statistics
import sys
import textwrap

WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")

STOPWORDS = frozenset("""
    a an and are as at be because before but by did do does done for from had has have her
    his i if in into is it its last let of on once one or over so she that the their them
    then there they this those three time to too until up very was were when where which
    while who will with without you your all any each every how not no
""".split())


@dataclasses.dataclass
class FileStats:
    path: str
    sha256: str
    lines: int = 0
    blank_lines: int = 0
    words: int = 0
    chars: int = 0
    sentences: int = 0
    paragraphs: int = 0
    longest_line: int = 0
    word_lengths: list = dataclasses.field(default_factory=list)

    @property
    def mean_word_length(self):
        return statistics.mean(self.word_lengths) if self.word_lengths else 0.0

    def as_dict(self):
        d = dataclasses.asdict(self)
        del d["word_lengths"]
        d["mean_word_length"] = round(self.mean_word_length, 3)
        return d


def find_inputs(root):
    """All .txt files below root, in a stable order."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".txt"):
                found.append(os.path.join(dirpath, name))
    return found


def count_paragraphs(lines):
    paragraphs, inside = 0, False
    for line in lines:
        if line.strip():
            if not inside:
                paragraphs += 1
            inside = True
        else:
            inside = False
    return paragraphs


def analyse_file(path, root, words, bigrams):
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")
    stats = FileStats(path=os.path.relpath(path, root), sha256=hashlib.sha256(raw).hexdigest())
    lines = text.splitlines()

    stats.lines = len(lines)
    stats.blank_lines = sum(1 for line in lines if not line.strip())
    stats.chars = len(text)
    stats.longest_line = max((len(line) for line in lines), default=0)
    stats.paragraphs = count_paragraphs(lines)
    stats.sentences = len(SENTENCE_END.findall(text))

    tokens = WORD.findall(text.lower())
    stats.words = len(tokens)
    stats.word_lengths = [len(t) for t in tokens]
    words.update(t for t in tokens if t not in STOPWORDS)
    bigrams.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:])
                   if a not in STOPWORDS and b not in STOPWORDS)
    return stats


def length_histogram(all_lengths):
    counts = collections.Counter(all_lengths)
    if not counts:
        return []
    widest = max(counts.values())
    rows = []
    for length in range(1, max(counts) + 1):
        n = counts.get(length, 0)
        bar = "#" * round(40 * n / widest)
        rows.append(f"{length:3d} {n:5d} {bar}")
    return rows


def build_summary(files, words, bigrams, top, min_length):
    all_lengths = [n for f in files for n in f.word_lengths]
    total_words = sum(f.words for f in files)
    vocabulary = len({w for w in words})
    frequent = [(w, n) for w, n in sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))
                if len(w) >= min_length][:top]
    pairs = [(p, n) for p, n in sorted(bigrams.items(), key=lambda kv: (-kv[1], kv[0]))
             if n > 1][:top]
    combined = hashlib.sha256("".join(f.sha256 for f in files).encode()).hexdigest()
    return {
        "files": [f.as_dict() for f in files],
        "totals": {
            "files": len(files),
            "lines": sum(f.lines for f in files),
            "words": total_words,
            "sentences": sum(f.sentences for f in files),
            "paragraphs": sum(f.paragraphs for f in files),
            "distinct_content_words": vocabulary,
            "median_word_length": statistics.median(all_lengths) if all_lengths else 0,
            "mean_words_per_sentence": round(
                total_words / max(1, sum(f.sentences for f in files)), 2),
        },
        "top_words": frequent,
        "repeated_pairs": pairs,
        "histogram": length_histogram(all_lengths),
        "digest": combined,
    }


def render_text(summary):
    out = ["TEXT REPORT", "=" * 11, ""]
    totals = summary["totals"]
    out.append(f"{totals['files']} files, {totals['lines']} lines, {totals['words']} words, "
               f"{totals['sentences']} sentences, {totals['paragraphs']} paragraphs")
    out.append(f"distinct content words: {totals['distinct_content_words']}; "
               f"median word length {totals['median_word_length']}; "
               f"{totals['mean_words_per_sentence']} words per sentence")
    out.append("")
    out.append(f"{'file':<24} {'lines':>5} {'words':>5} {'sent':>4} {'mean':>5}  sha256")
    for f in summary["files"]:
        out.append(f"{f['path']:<24} {f['lines']:5d} {f['words']:5d} {f['sentences']:4d} "
                   f"{f['mean_word_length']:5.2f}  {f['sha256'][:16]}")
    out.append("")
    out.append("Most frequent words:")
    listing = ", ".join(f"{w} ({n})" for w, n in summary["top_words"])
    out += textwrap.wrap(listing, width=72, initial_indent="  ", subsequent_indent="  ")
    out.append("")
    out.append("Word pairs seen more than once:")
    for pair, n in summary["repeated_pairs"]:
        out.append(f"  {n:3d}  {pair}")
    out.append("")
    out.append("Word lengths:")
    out += ["  " + row for row in summary["histogram"]]
    out.append("")
    out.append(f"digest {summary['digest']}")
    return "\n".join(out) + "\n"


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Word and line statistics for .txt files.")
    parser.add_argument("input_dir")
    parser.add_argument("output_dir")
    parser.add_argument("--top", type=int, default=12, help="how many words to list")
    parser.add_argument("--min-length", type=int, default=4, help="shortest word to list")
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    if not os.path.isdir(args.input_dir):
        print(f"textreport: {args.input_dir}: not a directory", file=sys.stderr)
        return 2

    inputs = find_inputs(args.input_dir)
    if not inputs:
        print(f"textreport: no .txt files under {args.input_dir}", file=sys.stderr)
        return 1

    words, bigrams = collections.Counter(), collections.Counter()
    files = [analyse_file(p, args.input_dir, words, bigrams) for p in inputs]
    summary = build_summary(files, words, bigrams, args.top, args.min_length)

    os.makedirs(args.output_dir, exist_ok=True)
    with open(os.path.join(args.output_dir, "report.txt"), "w") as f:
        f.write(render_text(summary))
    with open(os.path.join(args.output_dir, "report.json"), "w") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
        f.write("\n")

    totals = summary["totals"]
    print(f"{totals['files']} files, {totals['words']} words, "
          f"{totals['distinct_content_words']} distinct content words")
    print("top: " + " ".join(w for w, _ in summary["top_words"][:5]))
    print(f"digest {summary['digest'][:16]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
