from pathlib import Path

import pytest

from accord.whole_files import written_whole


def test_the_file_appears_whole_when_the_block_ends(tmp_path: Path):
    target = tmp_path / "bundle.json"
    with written_whole(target) as out:
        out.write(b"half")
        assert not target.exists()
        out.write(b" and the rest")
    assert target.read_bytes() == b"half and the rest"
    assert [p.name for p in tmp_path.iterdir()] == ["bundle.json"]


def test_a_failure_halfway_leaves_no_half_file_and_the_old_one_as_it_was(tmp_path: Path):
    target = tmp_path / "bundle.json"
    target.write_bytes(b"yesterday's")
    with pytest.raises(RuntimeError), written_whole(target) as out:
        out.write(b"half")
        raise RuntimeError("the database went away")
    assert target.read_bytes() == b"yesterday's"
    assert [p.name for p in tmp_path.iterdir()] == ["bundle.json"]
