"""The `journey` command line: output on success, one line and status 2 on bad input."""

import subprocess
import sys

from journey.cli import main


def test_summary_prints_the_log_summary(capsys, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("user_id,timestamp,event\na,2025-01-01T10:00Z,home\nb,2025-01-01T10:01Z,cart\n")
    assert main(["summary", str(path)]) == 0
    out = capsys.readouterr().out
    assert "events                2" in out and "users                 2" in out


def test_bad_input_prints_one_line_and_exits_2(capsys, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("user_id,timestamp,event\na,not a time,home\n")
    assert main(["summary", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("journey: error: column 'timestamp'")


def test_drop_invalid_lists_the_dropped_rows(capsys, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("user_id,timestamp,event\na,not a time,home\nb,2025-01-01T10:00Z,cart\n")
    assert main(["summary", str(path), "--drop-invalid"]) == 0
    out = capsys.readouterr().out
    assert "Dropped rows (1)" in out and "not a time" in out


def test_the_console_script_runs_without_a_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "journey.cli", "summary", str(tmp_path / "missing.csv")], capture_output=True, text=True
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr and "does not exist" in done.stderr
    assert subprocess.run([sys.executable, "-m", "journey.cli", "--help"], capture_output=True).returncode == 0


def test_graph_prints_the_summary_and_writes_the_file(capsys, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text(
        "user_id,timestamp,event\na,2025-01-01T10:00Z,home\na,2025-01-01T10:01Z,buy\nb,2025-01-01T10:00Z,home\n"
    )
    out_file = tmp_path / "g.graphml"
    assert main(["graph", str(path), "--goal", "buy", "--out", str(out_file)]) == 0
    out = capsys.readouterr().out
    assert "goal 'buy': 50.0% converted" in out and out_file.exists()
    assert main(["graph", str(path), "--goal", "bye"]) == 2
    assert "Did you mean 'buy'" in capsys.readouterr().err
    assert main(["graph", str(path), "--out", "g.png"]) == 2


def test_an_output_folder_that_does_not_exist_is_one_line_and_status_2(capsys, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("user_id,timestamp,event\na,2025-01-01T10:00Z,home\n")
    assert main(["graph", str(path), "--out", str(tmp_path / "nodir" / "g.graphml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("journey: error:") and err.count("\n") == 1 and "nodir" in err


def test_a_truncated_gzip_file_is_one_line_and_status_2_without_a_traceback(tmp_path):
    import gzip

    path = tmp_path / "e.csv.gz"
    packed = gzip.compress(("user_id,timestamp,event\n" + "a,2025-01-01T10:00Z,home\n" * 2000).encode())
    path.write_bytes(packed[: len(packed) // 2])
    done = subprocess.run(
        [sys.executable, "-m", "journey.cli", "summary", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr and done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"journey: error: {path}: the gzip data ends early")


def test_sep_reads_a_file_with_an_unusual_delimiter(capsys, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("user_id#timestamp#event\na#2025-01-01T10:00Z#home\n")
    assert main(["summary", str(path)]) == 2
    assert "pass --sep #" in capsys.readouterr().err
    assert main(["summary", str(path), "--sep", "#"]) == 0
    tabs = tmp_path / "t.csv"
    tabs.write_text("user_id\ttimestamp\tevent\na\t2025-01-01T10:00Z\thome\n")
    assert main(["summary", str(tabs), "--sep", "tab"]) == 0 and main(["summary", str(tabs)]) == 0


def test_time_format_reads_dates_written_yyyymmdd_which_time_unit_refuses(capsys, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("user_id;timestamp;event\na;20250101;home\nb;20250102;cart\n")
    assert main(["summary", str(path), "--time-unit", "s"]) == 2
    err = capsys.readouterr().err
    assert "look like dates written YYYYMMDD" in err and "with --time-format %Y%m%d" in err and err.count("\n") == 1
    assert main(["summary", str(path), "--time-format", "%Y%m%d"]) == 0
    assert "2025-01-01 00:00:00 UTC → 2025-01-02" in capsys.readouterr().out


def test_graph_out_writes_xml_that_parses_whatever_the_names(capsys, tmp_path):
    import xml.etree.ElementTree as ET

    path = tmp_path / "e.csv"
    path.write_bytes(b"user_id,timestamp,event\na,2025-01-01T10:00Z,home\x01\na,2025-01-01T10:01Z,\x1bbuy\n")
    for name in ("g.graphml", "g.gexf"):
        assert main(["graph", str(path), "--out", str(tmp_path / name)]) == 0
        ET.parse(tmp_path / name)


# ---------------------------------------------------------------------------------------------------
# --format: exports on the command line


def segment_file(tmp_path):
    """Two anonymous page views, an identify that links them to ann, a track, and a redelivery."""
    import json

    messages = [
        {"type": "page", "messageId": "m1", "anonymousId": "c1", "name": "Home", "timestamp": "2025-01-01T10:00:00Z"},
        {"type": "page", "messageId": "m1", "anonymousId": "c1", "name": "Home", "timestamp": "2025-01-01T10:00:00Z"},
        {"type": "identify", "messageId": "m2", "anonymousId": "c1", "userId": "ann", "timestamp": "2025-01-01T10:01Z"},
        {"type": "track", "messageId": "m3", "userId": "ann", "event": "Paid", "timestamp": "2025-01-01T10:02:00Z"},
        {"type": "track", "messageId": "m4", "anonymousId": "c2", "event": "Paid", "timestamp": "2025-01-01T11:00Z"},
    ]
    path = tmp_path / "segment.jsonl"
    path.write_text("".join(json.dumps(m) + "\n" for m in messages))
    return path


def test_summary_reads_an_export_with_format_and_prints_its_read_report(capsys, tmp_path):
    assert main(["summary", str(segment_file(tmp_path)), "--format", "segment"]) == 0
    out = capsys.readouterr().out
    assert "events                3" in out and "users                 2" in out  # ann (stitched) and c2
    report = " ".join(out[out.index("Read report:") :].split())
    assert "records read 5 1 file" in report and "not events 1 identify 1" in report
    assert "duplicates dropped 1 same messageId" in report
    assert "events stitched 1 1 anonymous id given to 1 user" in report


def test_identities_file_links_ids_on_the_command_line(capsys, tmp_path):
    links = tmp_path / "links.csv"
    links.write_text("anonymous_id,customer\nc2,007\n")  # ids stay text: 007 is not 7
    assert main(["summary", str(segment_file(tmp_path)), "--format", "segment", "--identities", str(links)]) == 0
    out = capsys.readouterr().out
    assert "users                 2" in out and "2 anonymous ids given to 2 users" in " ".join(out.split())
    assert main(["graph", str(segment_file(tmp_path)), "--format", "segment", "--identities", str(links)]) == 0
    assert main(["summary", str(segment_file(tmp_path)), "--identities", str(tmp_path / "none.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("journey: error: --identities ") and "does not exist" in err


def test_a_misspelt_format_or_an_option_of_another_format_is_one_line_in_cli_spelling(capsys, tmp_path):
    path = str(segment_file(tmp_path))
    assert main(["summary", path, "--format", "segmnet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("journey: error: --format segmnet is not a format journey reads. Did you mean 'segment'?")
    assert "without --format, a tidy table" in err
    assert main(["map", path, "--format", "segment", "--object-type", "order", "--out", str(tmp_path / "m.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--object-type" in err and "object_type=" not in err


def test_a_malformed_line_of_an_export_names_the_file_and_line(capsys, tmp_path):
    path = segment_file(tmp_path)
    path.write_text(path.read_text() + '{"type": "track", "messageId": \n')
    assert main(["summary", str(path), "--format", "segment"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "segment.jsonl" in err and "line 6" in err and "--drop-invalid" in err
    assert main(["summary", str(path), "--format", "segment", "--drop-invalid"]) == 0
    out = capsys.readouterr().out
    assert "Dropped rows (1)" in out and "malformed JSON" in out


def test_map_and_graph_read_exports_with_their_own_columns(capsys, tmp_path):
    path = str(segment_file(tmp_path))
    image = tmp_path / "map.png"
    assert main(["map", path, "--format", "segment", "--goal", "Paid", "--out", str(image)]) == 0
    assert image.read_bytes()[:4] == b"\x89PNG"
    assert (
        main(["graph", path, "--format", "segment", "--goal", "Paid", "--user", "anonymousId", "--drop-invalid"]) == 0
    )
    out = capsys.readouterr().out
    assert "goal 'Paid'" in out
