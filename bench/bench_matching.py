"""Matching benchmark: rank one need against N synthetic solutions.

    python -m bench.bench_matching --sizes 1000,10000,100000 --needs 200 --json out.json

For each size, in a fresh subprocess (so that memory figures do not mix):

* builds a SolutionIndex (build time, memory of the index, peak RSS of the process);
* times, per need, (a) SolutionIndex.rank, (b) the brute-force baseline that scores every
  solution with the same scalar scoring function (on --brute-needs needs, since it is
  slow by design), (c) bm25s with its own tokenizer and Swedish stemmer on the same texts,
  retrieving the top k (text only: no CPV, region, fit or social proof);
* checks that rank and brute force return the same top k;
* prints a table with ratios measured in the same run and writes JSON.

Timings are warm: after the build, SolutionIndex.warm_up() (dense rows of common terms, as
a service should after a rebuild) and an untimed pass over --warmup other needs (numpy copies
of posting lists, the compound cache), as in a service that has been running a while. With
--repeat R each need is also timed R times and the fastest kept: on a shared machine that
filters out time lost to other processes, which the first run includes.
The synthetic corpus is deterministic (--seed): Swedish and English texts built from
topic vocabularies with Swedish compounds and inflections, product names, CPV codes
spread over divisions/groups/classes, and regions at municipality, county and country level.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# -- synthetic corpus ---------------------------------------------------------------------


def _split(text: str) -> list[str]:
    return text.split()


MODIFIERS = _split(
    """
    vård omsorgs personal skol barn elev äldre hem kommun medborgar invånar snö väg gatu
    trafik fordons buss cykel energi värme vatten avfalls miljö klimat mat kost måltids
    läkemedels säkerhets trygghets larm sensor data informations kund bygg fastighets
    lokal belysnings städ tvätt skydds löne arbets fritids kultur biblioteks idrotts
    språk tolk resurs bemannings schema rutt besöks patient brukar ledsagar funktions
    hälso rehabiliterings tränings hjälpmedels bostads park grön odlings livsmedels
    svinn sop återvinnings sorterings laddnings batteri mät boknings kalender kö chatt
    röst natt dag skolskjuts vinter halk avlopp regn flyg hamn järnvägs skogs jord
    """
)
HEADS = _split(
    """
    utbildning planering system tjänst plattform portal stöd app verktyg uppföljning
    analys kontroll hantering optimering sensor larm mätning rapport schema modell metod
    lösning service program kurs övning simulering robot karta register arkiv överblick
    styrning övervakning insamling hämtning rutt bokning signering dokumentation journal
    kommunikation samordning ledning utveckling säkerhet trygghet personal kostnad
    förbrukning
    """
)
SV_WORDS = _split(
    """
    digital digitala invånare medborgare brukare personal medarbetare chef kommun region
    verksamhet effektiv effektivare enkel enklare säker tryggt hållbar hållbara minska
    öka förbättra spara tid kostnader kvalitet uppföljning realtid mobil mobilen webb
    data sensorer automatisk automatiskt manuellt papper larm besök behov problem
    resultat statistik rapporter överblick samverkan dialog pilot test leverantör avtal
    krav upphandling inköp ekonomi budget planering schema scheman rutter resor fordon
    skolor elever lärare föräldrar vårdnadshavare äldreboende hemtjänsten boende
    patienter sjuksköterskor undersköterskor ensamhet aktiviteter demens fall tillsyn
    natt snöröjning halka plogning gator cykelvägar belysning energi värme ventilation
    avfall kärl återvinning matsvinn måltider kök råvaror klimat utsläpp miljö
    tillgänglighet språk tolk nyanlända bibliotek kultur idrott fritid ungdomar unga
    arbetsmarknad sociala företag jämställdhet kontroll arbetsvillkor lönelistor
    skyddsutrustning entreprenör underentreprenörer e-tjänster ärenden ansökan portal
    inloggning
    """
)
EN_WORDS = _split(
    """
    digital citizens residents staff care elderly home municipality service platform
    portal training course simulation virtual reality school pupils teachers parents
    meals food waste kitchen climate emissions energy heating ventilation lighting
    street maintenance sensors monitoring alarms scheduling routes planning optimisation
    transport vehicles snow clearing winter roads safety security accessibility language
    translation interpreter library culture youth mental health chat anonymous support
    procurement purchasing suppliers contracts requirements follow-up working conditions
    payroll inspection social enterprise gender equality sustainable sustainability
    reduce improve save time cost quality real-time mobile app data reports dashboard
    analytics cloud integration cases applications login
    """
)
FILLER_SV = _split(
    """
    och för att med som på i av till en ett det vi kan är har inte om
    """
)
FILLER_EN = _split(
    """
    and for to with the of in a an is we can our it on by
    """
)
SUFFIXES = ("", "", "", "en", "er", "ar", "na", "erna", "arna", "s")

# (CPV division or group prefix, label) pairs the topics draw from: divisions spread wide.
CPV_BASES = tuple(
    _split(
        """
        805 804 801 853 851 853 72 722 724 48 481 482 555 555 906 905 904 794 794 796
        601 602 331 339 343 315 092 713 715 452 453 925 921 351 352 302 322 393 771 909
        """
    )
)
MUNICIPALITIES = _split(
    """
    0114 0180 0380 0480 0580 0680 0780 0880 0980 1080 1280 1283 1480 1490 1761 1780 1781
    1784 1880 1980 2080 2180 2280 2281 2380 2480 2580 2584 0188 0127 0136 1290 1380 1382
    1484 1488 1880 2026 2161 2262
    """
)
MATURITIES = ("idea", "prototype", "pilot", "market-ready")
PHASES = ("hypothesis", "validation", "co-creation", "procurement", "implementation", "scaling")
TAGS = ("social-enterprise", "gender-equality", "on-site-follow-up", "sustainability")
SYLLABLES = _split(
    """
    ka ro vi te lu ma no sa fi de pa li to ne ra mo su ve xa zo
    """
)


@dataclass(frozen=True)
class Topic:
    cpv: tuple[str, ...]
    sv: tuple[str, ...]
    en: tuple[str, ...]


def _cpv_code(rng: random.Random, base: str) -> str:
    digits = base + "".join(str(rng.randint(1, 9)) for _ in range(rng.choice((0, 1, 1, 2))))
    if len(digits) > 5:
        digits = digits[:5]
    return digits.ljust(8, "0")


def make_topics(rng: random.Random, count: int = 60) -> list[Topic]:
    topics = []
    for _ in range(count):
        bases = rng.sample(CPV_BASES, 2)
        codes = tuple(_cpv_code(rng, b) for b in bases for _ in range(3))
        mods = rng.sample(MODIFIERS, 6)
        heads = rng.sample(HEADS, 6)
        compounds = [m + h for m in mods for h in heads if rng.random() < 0.5]
        sv = tuple(rng.sample(SV_WORDS, 25) + compounds + mods[:3] + heads)
        en = tuple(rng.sample(EN_WORDS, 30))
        topics.append(Topic(codes, sv, en))
    return topics


def _words(rng: random.Random, topic: Topic, lang: str, n: int) -> str:
    vocab = topic.sv if lang == "sv" else topic.en
    common = SV_WORDS if lang == "sv" else EN_WORDS
    filler = FILLER_SV if lang == "sv" else FILLER_EN
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.55:
            w = rng.choice(vocab)
        elif r < 0.75:
            w = rng.choice(common)
        else:
            w = rng.choice(filler)
        if lang == "sv" and r < 0.75 and rng.random() < 0.3:
            w += rng.choice(SUFFIXES)
        out.append(w)
    return " ".join(out)


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def make_corpus(n_solutions: int, n_needs: int, seed: int) -> tuple[list[Any], list[Any]]:
    from matching.domain.model import NeedProfile, SolutionProfile

    rng = random.Random(seed)
    topics = make_topics(rng)
    # Zipf-like topic popularity: a few crowded markets, a long tail.
    popularity = [1.0 / (i + 1) ** 0.8 for i in range(len(topics))]
    solutions = []
    for i in range(n_solutions):
        topic = rng.choices(topics, popularity)[0]
        lang = "sv" if rng.random() < 0.8 else "en"
        r = rng.random()
        if r < 0.4:
            regions: tuple[str, ...] = ("SE",)
        elif r < 0.7:
            regions = (rng.choice(MUNICIPALITIES)[:2],)
        else:
            regions = tuple(rng.sample(MUNICIPALITIES, rng.randint(1, 3)))
        solutions.append(
            SolutionProfile(
                solution_id=f"s{i:06d}",
                supplier_org=f"supplier{rng.randrange(n_solutions // 3 + 1)}",
                name=f"{_name(rng)} {rng.choice(topic.sv if lang == 'sv' else topic.en)}",
                description=_words(rng, topic, lang, rng.randint(30, 80)),
                cpv_codes=tuple(rng.sample(topic.cpv, rng.randint(1, 3))),
                regions=regions,
                maturity=rng.choice(MATURITIES),  # type: ignore[arg-type]
                tags=frozenset(t for t in TAGS if rng.random() < 0.15),
                adoption_count=int(rng.expovariate(1 / 4)) if rng.random() < 0.6 else 0,
                language=lang,
            )
        )
    needs = []
    for i in range(n_needs):
        topic = rng.choices(topics, popularity)[0]
        lang = "sv" if rng.random() < 0.85 else "en"
        needs.append(
            NeedProfile(
                need_id=f"n{i:04d}",
                buyer_org=f"buyer{rng.randrange(50)}",
                title=_words(rng, topic, lang, rng.randint(3, 7)),
                problem=_words(rng, topic, lang, rng.randint(25, 60)),
                cpv_codes=tuple(rng.sample(topic.cpv, rng.randint(1, 2))),
                municipality_code=rng.choice(MUNICIPALITIES),
                phase=rng.choice(PHASES),  # type: ignore[arg-type]
                tags=frozenset(t for t in TAGS if rng.random() < 0.2),
                language=lang,
            )
        )
    return solutions, needs


# -- measurement --------------------------------------------------------------------------


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ms_stats(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"median_ms": float("nan"), "p99_ms": float("nan"), "n": 0}
    s = sorted(samples)
    p99 = s[min(len(s) - 1, max(0, round(0.99 * len(s)) - 1))]
    return {"median_ms": statistics.median(s), "p99_ms": p99, "n": len(s)}


def _timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(first run, fastest of `repeat` runs) in ms: the first is what a caller sees on this
    machine as it is; the fastest filters out preemption by other processes."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return times[0], min(times)


def run_size(args: argparse.Namespace, size: int) -> dict[str, Any]:
    from matching.domain.solution_index import SolutionIndex

    k = args.k
    load_before = os.getloadavg()
    gc.collect()
    rss0 = _rss_mib()
    solutions, all_needs = make_corpus(size, args.needs + args.warmup, args.seed)
    warm, needs = all_needs[: args.warmup], all_needs[args.warmup :]
    gc.collect()
    rss1 = _rss_mib()

    t0 = time.perf_counter()
    index = SolutionIndex()
    for s in solutions:
        index.upsert(s)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    dense_rows = index.warm_up()
    warm_up_s = time.perf_counter() - t0
    gc.collect()
    rss2 = _rss_mib()

    # index.warm_up() built the dense rows of the common terms (as a service should after a
    # rebuild); ranking other needs than the measured ones first gives posting lists their
    # numpy copies and the analyzer's compound cache its common words, as in a service that
    # has been running a while.
    for need in warm:
        index.rank(need, k=k)
    ours: list[float] = []
    ours_min: list[float] = []
    results = {}
    for need in needs:
        first, fastest = _timed(functools.partial(index.rank, need, k=k), args.repeat)
        ours.append(first)
        ours_min.append(fastest)
        results[need.need_id] = [m.solution_id for m in index.rank(need, k=k)]

    brute: list[float] = []
    agree = 0
    for need in needs[: args.brute_needs]:
        t = time.perf_counter()
        res = index.rank_brute_force(need, k=k)
        brute.append((time.perf_counter() - t) * 1000)
        agree += [m.solution_id for m in res] == results[need.need_id]

    bm = _bm25s(solutions, needs, warm, k, size, args.repeat)
    return {
        "size": size,
        "needs": len(needs),
        "build_s": build_s,
        "warm_up_s": warm_up_s,
        "dense_rows_built_by_warm_up": dense_rows,
        "corpus_mib": rss1 - rss0,
        "index_mib": rss2 - rss1,
        "dense_rows_mib": index.stats()["dense_rows_mib"],
        "peak_rss_mib": _peak_rss_mib(),
        "ours": _ms_stats(ours),
        "ours_fastest_of_repeats": _ms_stats(ours_min),
        "brute_force": _ms_stats(brute),
        "brute_force_agrees": f"{agree}/{len(brute)}",
        "bm25s": bm,
        "mean_results": statistics.mean(len(v) for v in results.values()),
        "index_stats": index.stats(),
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
    }


def _bm25s(
    solutions: list[Any], needs: list[Any], warm: list[Any], k: int, size: int, repeat: int
) -> dict[str, Any]:
    try:
        import bm25s
        import Stemmer
    except ImportError as e:  # pragma: no cover - reported, not fatal
        return {"error": f"bm25s unavailable: {e}"}
    from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_SWEDISH

    stemmer = Stemmer.Stemmer("swedish")
    stop = list(STOPWORDS_SWEDISH) + list(STOPWORDS_EN)
    texts = [s.text for s in solutions]
    t0 = time.perf_counter()
    corpus_tokens = bm25s.tokenize(
        texts, stopwords=stop, stemmer=stemmer.stemWords, show_progress=False
    )
    retriever = bm25s.BM25()
    retriever.index(corpus_tokens, show_progress=False)
    build_s = time.perf_counter() - t0
    kk = min(k, size)

    def one(text: str) -> None:
        # Tokenizing the query is part of the work, as analysis is for ours.
        q = bm25s.tokenize(
            [text], stopwords=stop, stemmer=stemmer.stemWords, return_ids=False, show_progress=False
        )
        if q[0]:
            retriever.retrieve(q, k=kk, show_progress=False, n_threads=0)

    for need in warm:
        one(need.text)
    samples: list[float] = []
    fastest: list[float] = []
    for need in needs:
        first, best = _timed(functools.partial(one, need.text), repeat)
        samples.append(first)
        fastest.append(best)
    return {"build_s": build_s, **_ms_stats(samples), "fastest_of_repeats": _ms_stats(fastest)}


# -- driver -------------------------------------------------------------------------------


def _table(rows: list[dict[str, Any]], key: str, bm_key: str | None) -> str:
    head = (
        f"{'size':>7} {'build s':>8} {'index MiB':>9} {'peak MiB':>8} | "
        f"{'ours med':>8} {'p99':>7} | {'brute med':>9} {'p99':>8} | "
        f"{'bm25s med':>9} {'p99':>7} | {'ours/bm25s':>10} {'p99':>5} | "
        f"{'ours/brute':>10} | agree"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        o, b = r[key], r["brute_force"]
        m = r["bm25s"] if bm_key is None else r["bm25s"].get(bm_key, {})
        mm = m.get("median_ms", float("nan"))
        mp = m.get("p99_ms", float("nan"))
        lines.append(
            f"{r['size']:>7} {r['build_s']:>8.1f} {r['index_mib']:>9.0f} "
            f"{r['peak_rss_mib']:>8.0f} | {o['median_ms']:>8.2f} {o['p99_ms']:>7.2f} | "
            f"{b['median_ms']:>9.1f} {b['p99_ms']:>8.1f} | {mm:>9.2f} {mp:>7.2f} | "
            f"{o['median_ms'] / mm:>10.2f} {o['p99_ms'] / mp:>5.2f} | "
            f"{o['median_ms'] / b['median_ms']:>10.4f} | {r['brute_force_agrees']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--needs", type=int, default=200, help="needs timed per size")
    ap.add_argument("--warmup", type=int, default=100, help="other needs ranked first, untimed")
    ap.add_argument(
        "--brute-needs",
        type=int,
        default=20,
        help="needs also ranked by brute force (slow: it scores everything)",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="time each need this many times; the fastest is reported too",
    )
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", dest="json_path", default=None)
    ap.add_argument("--single", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.single is not None:
        print(json.dumps(run_size(args, args.single)))
        return 0

    rows = []
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        cmd = [sys.executable, "-m", "bench.bench_matching", "--single", str(size)]
        for name in ("needs", "warmup", "brute_needs", "repeat", "k", "seed"):
            cmd += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"size {size}: built in {row['build_s']:.1f}s, "
            f"load {row['loadavg_before'][0]:.1f} -> {row['loadavg_after'][0]:.1f}",
            file=sys.stderr,
        )
    print("per need, first run (ms):")
    print(_table(rows, "ours", None))
    if args.repeat > 1:
        print(f"\nper need, fastest of {args.repeat} runs (ms; brute force: single run):")
        print(_table(rows, "ours_fastest_of_repeats", "fastest_of_repeats"))
    if args.json_path:
        with open(args.json_path, "w") as f:
            json.dump({"args": vars(args), "results": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
