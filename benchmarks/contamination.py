"""Is the blind set independent of what the model and the matcher learned from?

docs/evaluation rules (the project's notes on honest evaluation): before a
figure from a blind set is reported, check it against everything that
trained or tuned the thing it measures. Two checks, printed with counts;
exits 1 when either finds something:

1. **Names.** Every name form, handle, hashtag, context term and old title
   of every blind subject, searched (case-folded, accents removed) in the
   training data (``pipelines/data``), the training name generator and the
   matcher's lexicon (all of ``src/``). A blind subject's name that the
   model or the matcher could have learned is a leak.
2. **Texts.** Every blind text against every training text, with names and
   placeholders replaced by one token: exact duplicates after
   normalisation, token Jaccard >= 0.7, character 3-5-gram TF-IDF cosine
   >= 0.7, and shared 6-word sequences. A hit means a paraphrase: remove it
   from training, never from the blind set.

    .venv/bin/python benchmarks/contamination.py              # every blind set
    .venv/bin/python benchmarks/contamination.py classifier   # one of them
    .venv/bin/python benchmarks/contamination.py classifier --remove-from-training
"""

from __future__ import annotations

import collections
import json
import pathlib
import re
import sys
import unicodedata

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
BLIND = ROOT / "tests" / "data" / "blind"
TRAINING = ROOT / "pipelines" / "data"
THRESHOLD = 0.7
SHINGLE = 6


SETS = ("classifier", "matching")  # the folders under tests/data/blind


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def blind_subjects() -> list[dict]:
    subjects = []
    for config in sorted(p for s in SETS for p in (BLIND / s).glob("config_*.yaml")):
        subjects += yaml.safe_load(config.read_text(encoding="utf-8"))["subjects"]
    return subjects


def blind_texts() -> list[tuple[str, str]]:
    rows = []
    for path in sorted(p for s in SETS for p in (BLIND / s).glob("part_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows.append((row["id"], f"{row.get('title', '')} {row['text']}".strip()))
    return rows


def training_texts() -> list[tuple[str, str]]:
    rows = []
    for path in sorted(TRAINING.rglob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                rows.append((f"{path.relative_to(ROOT)}:{number}", json.loads(line)["text"]))
    return rows


# Platforms and common nouns that a subject's context may name; not identities.
GENERIC = {"twitch", "youtube", "tiktok", "instagram", "podcast", "cooking channel"}


def terms_of(subject: dict) -> list[str]:
    out = [subject["name"], *subject.get("aliases", ())]
    out += [h.lstrip("@#") for h in (*subject.get("handles", ()), *subject.get("hashtags", ()))]
    out += list(subject.get("context", ()))
    out += [k["title"] for k in subject.get("known_content", ())]
    out += subject["name"].split()  # each part of her name alone
    return [t for t in out if len(fold(t)) >= 4 and fold(t) not in GENERIC]


def check_names() -> list[str]:
    haystacks = [
        (str(p.relative_to(ROOT)), fold(p.read_text(encoding="utf-8", errors="replace")))
        for p in [*TRAINING.rglob("*.jsonl"), *(ROOT / "src").rglob("*.py")]
    ]
    problems = []
    subjects = blind_subjects()
    for subject in subjects:
        for term in terms_of(subject):
            pattern = re.compile(r"(?<!\w)" + re.escape(fold(term)) + r"(?!\w)")
            where = [name for name, text in haystacks if pattern.search(text)]
            if where:
                problems.append(f"{subject['name']}: {term!r} occurs in {', '.join(where[:4])}")
    print(
        f"names: {sum(len(terms_of(s)) for s in subjects)} terms of {len(subjects)} blind subjects "
        f"searched in {len(haystacks)} training and source files: {len(problems)} found"
    )
    for line in problems:
        print("  " + line)
    return problems


def _normalise(text: str, names: list[str]) -> str:
    text = re.sub(r"\{[a-z]+\}", " person ", fold(text))
    for name in names:
        text = text.replace(name, " person ")
    text = re.sub(r"https?://\S+", " url ", text)
    return " ".join(re.findall(r"[\w\u0900-\u0dff]+", text))


def check_texts() -> list[str]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    names = sorted({fold(t) for s in blind_subjects() for t in terms_of(s)}, key=len, reverse=True)
    blind = [(i, _normalise(t, names)) for i, t in blind_texts()]
    train = [(i, _normalise(t, [])) for i, t in training_texts()]
    problems = []
    exact = {t: i for i, t in train}
    for i, t in blind:
        if t in exact:
            problems.append(f"{i}: exact duplicate of {exact[t]}")
    train_tokens = [set(t.split()) for _, t in train]
    index = collections.defaultdict(set)  # token -> training rows (for Jaccard candidates)
    for row, tokens in enumerate(train_tokens):
        for token in tokens:
            index[token].add(row)
    shingles = collections.defaultdict(list)
    for row, (_, t) in enumerate(train):
        words = t.split()
        for k in range(len(words) - SHINGLE + 1):
            shingles[" ".join(words[k : k + SHINGLE])].append(row)
    for i, t in blind:
        tokens = set(t.split())
        if len(tokens) >= 4:
            overlap = collections.Counter(r for token in tokens for r in index[token])
            for row, shared in overlap.most_common(5):
                jaccard = shared / len(tokens | train_tokens[row])
                if jaccard >= THRESHOLD:
                    problems.append(f"{i}: token Jaccard {jaccard:.2f} with {train[row][0]}")
        words = t.split()
        for k in range(len(words) - SHINGLE + 1):
            gram = " ".join(words[k : k + SHINGLE])
            if gram in shingles and "person" not in gram.split()[:1]:
                problems.append(
                    f"{i}: shares the 6 words {gram!r} with {train[shingles[gram][0]][0]}"
                )
                break
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), min_df=1, sublinear_tf=True
    )
    matrix = vectorizer.fit_transform([t for _, t in train] + [t for _, t in blind])
    train_m, blind_m = matrix[: len(train)], matrix[len(train) :]
    similarity = (blind_m @ train_m.T).tocsr()
    for row in range(similarity.shape[0]):
        values = similarity.getrow(row)
        if values.nnz and values.data.max() >= THRESHOLD:
            best = values.indices[values.data.argmax()]
            problems.append(
                f"{blind[row][0]}: char n-gram cosine {values.data.max():.2f} with {train[best][0]}"
            )
    print(
        f"texts: {len(blind)} blind texts against {len(train)} training texts: "
        f"{len(problems)} near or exact copies"
    )
    for line in problems:
        print("  " + line)
    return problems


def remove_from_training(problems: list[str]) -> int:
    """Deletes every training line a finding names (``path:line``): a paraphrase of a
    blind text leaves the training data, never the blind set."""
    doomed: dict[str, set[int]] = collections.defaultdict(set)
    for line in problems:
        for path, number in re.findall(r"(pipelines/\S+?\.jsonl):(\d+)", line):
            doomed[path].add(int(number))
    for path, numbers in doomed.items():
        lines = (ROOT / path).read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [text for i, text in enumerate(lines, 1) if i not in numbers]
        (ROOT / path).write_text("".join(kept), encoding="utf-8")
    return sum(map(len, doomed.values()))


def main(argv: list[str] | None = None) -> int:
    global SETS
    args = sys.argv[1:] if argv is None else argv
    fix = "--remove-from-training" in args
    args = [a for a in args if a != "--remove-from-training"]
    if args:
        SETS = tuple(args)
    problems = check_names() + check_texts()
    if fix:
        print(f"removed {remove_from_training(problems)} training lines; run again to check")
    print("contamination: " + ("none found" if not problems else f"{len(problems)} findings"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
