"""Checks on the committed attachment-5 catalogue.

广东省职业技能培训补贴（指导）标准目录（2023年度）, ``voucher/catalog/data/catalogue.csv``.
"""

from __future__ import annotations

import csv
import importlib.resources
import importlib.util
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path
from types import ModuleType

import pytest

HEADER = ["seq", "serial", "code", "name", "category", "certificate_type", "edition_2022"]
CATEGORIES = {
    "粤菜师傅",
    "新业态",
    "新业态/乡村工匠",
    "新业态/农村电商",
    "新业态/农村电商/乡村工匠",
    "乡村工匠",
    "南粤家政",
    "其他",
}
CERTIFICATE_TYPES = {"技能等级证书", "专项能力证书"}
CODE_RE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$")
REPEATED_SERIALS = {57, *range(64, 72), *range(76, 84), *range(440, 453), *range(456, 460)}
SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seed" / "000_192cf03f49fda43c.txt"

# Names the PDF extraction broke across lines or pages; each must appear whole.
JOINED_NAMES = [
    "信息通信网络运行管理员",
    "信息通信网络终端维修员",
    "信息通信信息化系统管理员",
    "中央空调系统运行操作员",
    "安全防范系统安装维护员",
    "贵金属首饰与宝玉石检测员",
    "工业固体废物处理处置工",
    "井下作业设备操作维修工",
    "多工序数控机床操作调整工",
    "高低压电器及成套设备装配工",
    "半导体分立器件和集成电路装调工",
    "计算机及外部设备装配调试员",
    "牵引电力线路安装维护工",
    "制冷空调系统安装维修工",
    "铁路试验检测设备维修工",
    "翡翠玉佩挂件雕琢成型制作",
    "陶瓷墙地砖（产品）质量检验",
    "陶瓷墙地砖（物化）试验",
    "健康照护师",
    "社群健康助理员",
]


def _data_dir() -> Traversable:
    return importlib.resources.files("voucher.catalog") / "data"


def _csv_bytes() -> bytes:
    return (_data_dir() / "catalogue.csv").read_bytes()


@cache
def _rows() -> tuple[dict[str, str], ...]:
    text = _csv_bytes().decode("utf-8")
    reader = csv.DictReader(text.splitlines())
    assert reader.fieldnames == HEADER
    return tuple(reader)


@pytest.fixture
def rows() -> Sequence[dict[str, str]]:
    return _rows()


def _by_name(rows: Sequence[dict[str, str]], name: str) -> dict[str, str]:
    matches = [row for row in rows if row["name"] == name]
    assert len(matches) == 1, f"{name}: {len(matches)} rows"
    return matches[0]


def test_utf8_without_bom() -> None:
    data = _csv_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8").splitlines()[0] == ",".join(HEADER)


def test_row_and_certificate_counts(rows: Sequence[dict[str, str]]) -> None:
    assert len(rows) == 498
    counts = Counter(row["certificate_type"] for row in rows)
    assert counts == {"技能等级证书": 426, "专项能力证书": 72}


def test_seq_is_1_to_498_in_order(rows: Sequence[dict[str, str]]) -> None:
    assert [int(row["seq"]) for row in rows] == list(range(1, 499))


def test_code_name_pairs_unique(rows: Sequence[dict[str, str]]) -> None:
    pairs = Counter((row["code"], row["name"]) for row in rows)
    assert [pair for pair, n in pairs.items() if n > 1] == []


def test_codes_are_well_formed(rows: Sequence[dict[str, str]]) -> None:
    bad = [
        row
        for row in rows
        if row["code"] and row["code"] != "48" and not CODE_RE.match(row["code"])
    ]
    assert bad == []


def test_special_abilities_have_no_code_except_the_48_row(rows: Sequence[dict[str, str]]) -> None:
    for row in rows:
        if row["certificate_type"] == "技能等级证书":
            assert CODE_RE.match(row["code"]), row
        elif row["name"] != "数字视频制作":
            assert row["code"] == "", row


def test_names_are_clean(rows: Sequence[dict[str, str]]) -> None:
    for row in rows:
        name = row["name"]
        assert name, row
        assert not re.search(r"\s", name), row
        assert "序号" not in name and "编码" not in name, row
        assert "2022" not in name, row


@pytest.mark.parametrize("name", JOINED_NAMES)
def test_broken_names_are_joined(rows: Sequence[dict[str, str]], name: str) -> None:
    _by_name(rows, name)


def test_no_fragment_rows(rows: Sequence[dict[str, str]]) -> None:
    names = {row["name"] for row in rows}
    fragments = {
        "员",
        "工",
        "理员",
        "匠",
        "电商",
        "制作",
        "验",
        "量检验",
        "信息通信网络运行管理",
        "信息通信信息化系统管",
        "中央空调系统运行操作",
        "陶瓷墙地砖（产品）质",
        "陶瓷墙地砖（物化）试",
    }
    assert names.isdisjoint(fragments)


def test_categories_and_certificate_types(rows: Sequence[dict[str, str]]) -> None:
    assert {row["category"] for row in rows} == CATEGORIES
    assert {row["certificate_type"] for row in rows} == CERTIFICATE_TYPES
    assert {row["edition_2022"] for row in rows} == {"0", "1"}


def test_repeated_serials_are_exactly_the_documented_ones(rows: Sequence[dict[str, str]]) -> None:
    counts = Counter(int(row["serial"]) for row in rows)
    assert {serial for serial, n in counts.items() if n > 1} == REPEATED_SERIALS
    assert max(counts.values()) == 2
    assert set(counts) == set(range(1, 465))


def test_edition_2022_flags(rows: Sequence[dict[str, str]]) -> None:
    marketer = _by_name(rows, "互联网营销师")
    assert (marketer["code"], marketer["edition_2022"]) == ("4-01-06-02", "1")
    assert _by_name(rows, "中式烹调师")["edition_2022"] == "0"
    assert _by_name(rows, "健康照护师")["edition_2022"] == "1"
    assert _by_name(rows, "社群健康助理员")["edition_2022"] == "1"
    assert _by_name(rows, "信息通信信息化系统管理员")["edition_2022"] == "0"
    assert sum(row["edition_2022"] == "1" for row in rows) == 20


def test_first_and_last_rows(rows: Sequence[dict[str, str]]) -> None:
    first, last = rows[0], rows[-1]
    assert (first["seq"], first["serial"], first["code"], first["name"]) == (
        "1",
        "1",
        "4-03-02-01",
        "中式烹调师",
    )
    assert (first["category"], first["certificate_type"]) == ("粤菜师傅", "技能等级证书")
    assert (last["seq"], last["serial"], last["code"], last["name"]) == (
        "498",
        "459",
        "",
        "智能光网装调",
    )
    assert (last["category"], last["certificate_type"]) == ("其他", "专项能力证书")


def test_digital_video_row_keeps_code_48(rows: Sequence[dict[str, str]]) -> None:
    row = _by_name(rows, "数字视频制作")
    assert (row["code"], row["category"], row["certificate_type"]) == (
        "48",
        "新业态",
        "专项能力证书",
    )


def test_wrapped_categories(rows: Sequence[dict[str, str]]) -> None:
    assert _by_name(rows, "网商运营")["category"] == "新业态/农村电商"
    assert _by_name(rows, "电子商务师")["category"] == "新业态/农村电商/乡村工匠"
    assert _by_name(rows, "互联网营销师")["category"] == "新业态/乡村工匠"
    assert _by_name(rows, "信息通信信息化系统管理员")["category"] == "其他"


def _load_extractor(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import the provenance script by path (``data`` is not a package)."""
    name = "_catalogue_extract_attachment5"
    script = _data_dir() / "extract_attachment5.py"
    spec = importlib.util.spec_from_file_location(name, str(script))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses resolve the defining module through sys.modules while the class is built
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def test_extraction_script_reproduces_committed_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert SEED.is_file(), f"seed text missing: {SEED}"
    main: Callable[[Sequence[str]], int] = _load_extractor(monkeypatch).main
    output = tmp_path / "catalogue.csv"
    assert main([str(SEED), str(output)]) == 0
    assert output.read_bytes() == _csv_bytes()
