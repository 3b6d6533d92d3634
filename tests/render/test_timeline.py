"""The replay timeline line: where the playhead, the played part and the marks fall, and where a click goes."""

from __future__ import annotations

from stsviz.render.timeline import AHEAD, MARK, PLAYED, PLAYHEAD, cell_at, seconds_at, timeline


def test_the_playhead_splits_played_from_ahead():
    line = timeline(11, 100.0, 50.0).plain
    assert line == PLAYED * 5 + PLAYHEAD + AHEAD * 5


def test_the_first_and_last_cells_are_the_first_and_last_moments():
    assert timeline(10, 60.0, 0.0).plain == PLAYHEAD + AHEAD * 9
    assert timeline(10, 60.0, 60.0).plain == PLAYED * 9 + PLAYHEAD


def test_marks_show_where_they_happened_and_the_playhead_wins_a_shared_cell():
    line = timeline(11, 100.0, 50.0, [20.0, 50.0, 90.0]).plain
    assert [index for index, char in enumerate(line) if char == MARK] == [2, 9]
    assert line[5] == PLAYHEAD


def test_a_click_on_a_cell_seeks_to_the_moment_it_stands_for():
    for width in (1, 2, 78, 158):
        for cell in range(width):
            assert cell_at(seconds_at(cell, 264.2, width), 264.2, width) == cell
    assert seconds_at(0, 264.2, 78) == 0.0 and seconds_at(77, 264.2, 78) == 264.2


def test_an_empty_recording_or_no_room_draws_what_it_can():
    assert timeline(0, 10.0, 5.0).plain == ""
    assert timeline(5, 0.0, 0.0).plain == PLAYHEAD + AHEAD * 4  # nothing has loaded yet, or one event
