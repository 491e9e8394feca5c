"""Subject similarity of short Chinese titles (主题相似度), for the duplicate-supervision review.

Titles of supervision activities are short and full of generic words (督查、专项、落实…), so
the subject is what is left once those are gone. Two signals are combined:

- words: jieba tokens (with a small domain dictionary so that 安全生产 or 大气污染防治 stay one
  word), weighted by rarity (jieba's corpus IDF), compared by cosine;
- character bigrams of the same cleaned text, compared by Dice — robust to segmentation
  differences (营商环境 vs 营商 环境), but weaker, since 大气污染防治 and 水污染防治 share most
  of their bigrams while being different subjects.

The tokenizer is initialised once, quietly, with its dictionary cache in the temp directory.
"""

import logging
import math
import re
import tempfile
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jieba  # type: ignore[import-untyped]

# Compound subjects that must stay one word (jieba would split them, or glue them wrongly).
DOMAIN_WORDS: tuple[str, ...] = (
    "安全生产", "食品安全", "民生实事", "营商环境", "河长制", "湖长制", "林长制",
    "大气污染防治", "水污染防治", "土壤污染防治", "污染防治", "隐患排查", "重大项目",
    "放管服", "一网通办", "乡村振兴", "城市更新", "老旧小区改造", "减税降费", "稳就业",
    "双减", "疫情防控", "防汛抗旱", "耕地保护", "生态环境", "社会救助", "养老服务",
    "建议提案", "审计整改", "大检查", "实地督查", "回头看",
)  # fmt: skip

# Words every supervision title carries; they say nothing about the subject.
GENERIC_WORDS: frozenset[str] = frozenset(
    {
        "督查", "督促", "检查", "督办", "督导", "专项", "工作", "情况", "落实", "推进", "开展",
        "全省", "全市", "全区", "全县", "关于", "年度", "有关", "相关", "进一步", "加强",
        "加快", "实施", "贯彻", "贯彻落实", "执行", "活动", "实地", "实地督查", "大检查",
        "调研", "核查", "复核", "回头看", "重点", "重要", "进展", "推动", "组织", "省政府",
        "市政府", "政府", "我省", "我市", "各地", "各级", "部门", "单位", "问题", "事项",
        "综合", "调查", "第三方", "评估", "视察", "民意", "暗访", "明察", "集中", "全面",
        "深入", "持续", "行动", "整改落实", "任务", "要求", "部署", "决策部署",
    }
)  # fmt: skip

_YEARS = re.compile(r"\d{2,4}\s*年(度)?|\d+")
_NOT_TEXT = re.compile(r"[^\u4e00-\u9fffA-Za-z]+")


@dataclass(frozen=True)
class Similarity:
    """How alike two subjects are: a score in [0, 1] and the shared words that explain it."""

    score: float
    words: float
    bigrams: float
    common: tuple[str, ...]


class _Lexicon:
    """The tokenizer and the rarity weights, loaded once on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokenizer: Any = None
        self._idf: dict[str, float] = {}
        self.median_idf = 10.0

    def tokenizer(self) -> Any:
        with self._lock:
            if self._tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.tmp_dir = tempfile.gettempdir()
                tokenizer.cache_file = "ducha-jieba.cache"
                tokenizer.initialize()
                for word in DOMAIN_WORDS:
                    tokenizer.add_word(word, freq=200_000)
                self._idf, self.median_idf = _load_idf()
                self._tokenizer = tokenizer
            return self._tokenizer

    def idf(self, word: str) -> float:
        """Rarity: jieba's corpus IDF; unknown words (our domain compounds) count as rare."""
        return self._idf.get(word, self.median_idf)


def _load_idf() -> tuple[dict[str, float], float]:
    idf: dict[str, float] = {}
    text = (resources.files("jieba") / "analyse" / "idf.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        word, _, value = line.partition(" ")
        if value:
            idf[word] = float(value)
    values = sorted(idf.values())
    return idf, values[len(values) // 2] if values else 10.0


_LEXICON = _Lexicon()


def subject_words(title: str) -> list[str]:
    """The words of a title that carry its subject: generic words, years and 1-char words out."""
    text = _YEARS.sub(" ", title)
    words = []
    for chunk in _NOT_TEXT.split(text):
        for token in _LEXICON.tokenizer().lcut(chunk, HMM=True):
            if len(token) >= 2 and token not in GENERIC_WORDS:
                words.append(token)
    return words


def _segments(title: str) -> list[str]:
    """Runs of the title between generic words (bigrams never cross a removed word)."""
    text = _YEARS.sub(" ", title)
    runs: list[str] = []
    for chunk in _NOT_TEXT.split(text):
        current = ""
        for token in _LEXICON.tokenizer().lcut(chunk, HMM=True):
            if token in GENERIC_WORDS:
                runs.append(current)
                current = ""
            else:
                current += token
        runs.append(current)
    return [r for r in runs if len(r) >= 2]


def bigrams(title: str) -> set[str]:
    """Character bigrams of the title's subject text."""
    return {run[i : i + 2] for run in _segments(title) for i in range(len(run) - 1)}


def _weighted(words: list[str]) -> dict[str, float]:
    vector: dict[str, float] = {}
    for word in words:
        vector[word] = vector.get(word, 0.0) + _LEXICON.idf(word)
    return vector


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(weight * b[word] for word, weight in a.items() if word in b)
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norm if norm else 0.0


def _dice(a: set[str], b: set[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


WORD_WEIGHT = 0.65  # the rest goes to bigrams; see the module docstring for why words lead


def similarity(a: str, b: str) -> Similarity:
    """Rarity-weighted word cosine combined with bigram Dice (0: unrelated, 1: same subject)."""
    words_a, words_b = subject_words(a), subject_words(b)
    word_score = _cosine(_weighted(words_a), _weighted(words_b))
    bigram_score = _dice(bigrams(a), bigrams(b))
    score = WORD_WEIGHT * word_score + (1 - WORD_WEIGHT) * bigram_score
    common = tuple(dict.fromkeys(w for w in words_a if w in set(words_b)))
    return Similarity(round(score, 3), round(word_score, 3), round(bigram_score, 3), common)
