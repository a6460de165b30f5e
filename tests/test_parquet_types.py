"""The one Arrow -> USD type table (usdbench/arrow_usd_types.json), row by row:
a one-column Parquet file of each Arrow type it lists loads as the USD type it
names, and docs/parquet-types.md is what the generator makes of it. A reader is a function from a
Parquet file to an Sdf.Layer: another reader (the native plugin) is checked
against the same rows by adding it to READERS."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pxr import Sdf

from usdbench.parquet import load_layer, table_to_usda, usd_type_name
from usdbench.parquet.type_table import DOC_COMMAND, markdown_document, read_table_file

TABLE = read_table_file()
TYPES_DOC = Path(__file__).resolve().parents[1] / "docs" / "parquet-types.md"
SCALARS = [(row["arrow"], row["usd"]) for row in TABLE["scalars"]]
ELEMENTS = [(row["arrow"], row["usd"]) for row in TABLE["vector_elements"]]
SIZES = TABLE["vector_sizes"]
READERS = {"python": load_layer, "native": lambda path: Sdf.Layer.FindOrOpen(str(path))}
DICTIONARY_INDICES = [pa.int8(), pa.int16(), pa.int32(), pa.int64()]


def _arrow(name: str) -> pa.DataType:
    return pa.type_for_alias(name)  # a name Arrow does not know fails here


def _one(arrow_name: str):
    """One valid value of the type, as Python."""
    if arrow_name == "bool":
        return True
    if "string" in arrow_name:
        return 'a "quoted" value'
    return 1


def _loaded_type(tmp_path, read, values: pa.Array) -> tuple[str, object]:
    """(USD type name, value) of the one attribute a reader builds from a
    one-row, one-property Parquet file holding ``values``."""
    source = tmp_path / "one.parquet"
    pq.write_table(pa.table({"path": ["/P"], "v": values}), source)
    layer = read(source)  # a spec is valid while its layer lives
    spec = layer.GetAttributeAtPath("/P.v")
    assert spec is not None, f"no attribute for Arrow type {values.type}"
    return str(spec.typeName), spec.default


@pytest.fixture(params=list(READERS))
def read(request):
    return READERS[request.param]


# -- the loader against the table ------------------------------------------------


@pytest.mark.parametrize("arrow_name,usd", SCALARS, ids=[a for a, _ in SCALARS])
def test_scalar(tmp_path, read, arrow_name, usd):
    t = _arrow(arrow_name)
    assert usd_type_name(t) == usd
    type_name, value = _loaded_type(tmp_path, read, pa.array([_one(arrow_name)], t))
    assert (type_name, value) == (usd, _one(arrow_name))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("arrow_name,usd", ELEMENTS, ids=[a for a, _ in ELEMENTS])
def test_fixed_size_list_of_each_element_and_size(tmp_path, read, arrow_name, usd, size):
    t = pa.list_(_arrow(arrow_name), size)
    assert usd_type_name(t) == f"{usd}{size}"
    row = list(range(1, size + 1))
    type_name, value = _loaded_type(tmp_path, read, pa.array([row], t))
    assert type_name == f"{usd}{size}" and list(value) == row


@pytest.mark.parametrize("arrow_name", [a for a, _ in SCALARS if a not in dict(ELEMENTS)])
def test_fixed_size_list_of_other_scalars_is_unsupported(arrow_name):
    assert usd_type_name(pa.list_(_arrow(arrow_name), SIZES[0])) is None


@pytest.mark.parametrize("size", [1, max(SIZES) + 1])
def test_fixed_size_list_of_other_sizes_is_unsupported(size):
    assert usd_type_name(pa.list_(_arrow(ELEMENTS[0][0]), size)) is None


def _list_cases():
    """list<T> and large_list<T> of every scalar, list<T> of every vector type."""
    for arrow_name, usd in SCALARS:
        for make in (pa.list_, pa.large_list):
            yield make(_arrow(arrow_name)), [_one(arrow_name)] * 2, f"{usd}[]"
    for arrow_name, usd in ELEMENTS:
        for size in SIZES:
            row = [list(range(size))] * 2
            yield pa.list_(pa.list_(_arrow(arrow_name), size)), row, f"{usd}{size}[]"


LIST_CASES = list(_list_cases())


@pytest.mark.parametrize("t,row,usd", LIST_CASES, ids=[str(c[0]) for c in LIST_CASES])
def test_list_of_each(tmp_path, read, t, row, usd):
    assert usd_type_name(t) == usd
    type_name, value = _loaded_type(tmp_path, read, pa.array([row], t))
    assert type_name == usd and len(value) == len(row)


def test_list_of_lists_is_unsupported():
    inner = _arrow(SCALARS[0][0])
    assert usd_type_name(pa.list_(pa.list_(inner))) is None
    assert usd_type_name(pa.large_list(pa.list_(inner))) is None


STRING_SCALARS = [(a, u) for a, u in SCALARS if u == "string" and a != "string_view"]


@pytest.mark.parametrize("index", DICTIONARY_INDICES, ids=str)
@pytest.mark.parametrize("arrow_name,usd", STRING_SCALARS, ids=[a for a, _ in STRING_SCALARS])
def test_dictionary_in_a_parquet_file_maps_as_its_values(tmp_path, read, arrow_name, usd, index):
    """Parquet keeps dictionaries of strings (pandas' and DuckDB's categoricals)."""
    t = pa.dictionary(index, _arrow(arrow_name))
    values = pa.array(["b", "a", "b"], _arrow(arrow_name)).dictionary_encode().cast(t)
    source = tmp_path / "dict.parquet"
    pq.write_table(pa.table({"path": ["/A", "/B", "/C"], "v": values}), source)
    assert pa.types.is_dictionary(pq.read_schema(source).field("v").type)
    layer = read(source)
    assert [str(layer.GetAttributeAtPath(f"{p}.v").typeName) for p in "/A /B /C".split()] == [
        usd
    ] * 3
    assert layer.GetAttributeAtPath("/C.v").default == "b"
    inner = pa.list_(t)
    assert usd_type_name(inner) == f"{usd}[]"


def _dictionary_cases():
    """dictionary<T> of every scalar Arrow can dictionary-encode."""
    for arrow_name, usd in SCALARS:
        try:
            values = pa.array([_one(arrow_name)] * 2, _arrow(arrow_name)).dictionary_encode()
        except pa.ArrowNotImplementedError:
            continue  # halffloat, string_view: Arrow has no dictionary of them
        yield values, usd


DICTIONARY_CASES = list(_dictionary_cases())


@pytest.mark.parametrize(
    "values,usd", DICTIONARY_CASES, ids=[str(c[0].type) for c in DICTIONARY_CASES]
)
def test_dictionary_of_each_scalar_maps_as_its_values(values, usd):
    """Parquet files store dictionaries of numbers decoded, so the renderer
    behind the loader gets them as an Arrow table."""
    assert usd_type_name(values.type) == usd
    layer = Sdf.Layer.CreateAnonymous(".usda")
    layer.ImportFromString(table_to_usda(pa.table({"path": ["/A", "/B"], "v": values})))
    assert str(layer.GetAttributeAtPath("/B.v").typeName) == usd


def test_the_table_names_real_arrow_types_once_each():
    names = [a for a, _ in SCALARS]
    assert len(set(names)) == len(names) and {a for a, _ in ELEMENTS} <= set(names)
    for arrow_name in names:
        assert str(_arrow(arrow_name)) == arrow_name


# -- the generated documentation against the table ------------------------------


def test_the_committed_types_doc_is_the_generators_output():
    """Editing the JSON without regenerating the doc fails here."""
    assert TYPES_DOC.read_text(encoding="utf-8") == markdown_document(), (
        f"docs/parquet-types.md is stale: run {DOC_COMMAND}"
    )


def _doc_rows() -> list[list[list[str]]]:
    """The doc's table rows: each cell's backticked names."""
    rows = [
        line
        for line in TYPES_DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `") and line.count("|") == 4
    ]
    return [[re.findall(r"`([^`]+)`", cell) for cell in row.split("|")[1:-1]] for row in rows]


def test_the_doc_shows_every_row_of_the_table_and_nothing_else():
    rows = _doc_rows()
    assert [(arrow[0], usd[0]) for arrow, usd, _ in rows] == SCALARS
    elements = dict(ELEMENTS)
    for (arrow_name,), _, vectors in rows:
        want = [f"{elements[arrow_name]}{n}" for n in SIZES] if arrow_name in elements else []
        assert vectors == want, arrow_name


def test_the_doc_states_every_rule_of_the_table():
    # The doc sets Arrow type expressions in backticks (`dictionary<T>`).
    text = " ".join(TYPES_DOC.read_text(encoding="utf-8").replace("`", "").split())
    for rule in TABLE["rules"]:
        assert " ".join(rule.split()) in text, rule


def test_the_generator_follows_an_edited_table():
    """A row added to the JSON appears in the generated doc (so a stale doc
    cannot pass the equality test above by accident)."""
    edited = {**TABLE, "scalars": [*TABLE["scalars"], {"arrow": "date32", "usd": "int"}]}
    assert "| `date32` | `int` | |" in markdown_document(edited)
    assert "| `date32` |" not in markdown_document()
