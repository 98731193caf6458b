"""The teacher's page (book/teaching.md): its generalising sentences and their checks."""

from __future__ import annotations

from ._common import Claim as C, NotAClaim as N

ENTRIES: list = [
    C(r"with tests the submissions never see",
      ("tests/test_coursework.py::test_generate_writes_student_and_grader_files",
       "tests/test_coursework_hostile.py::"
       "test_the_sandbox_sees_no_network_no_library_and_no_other_files",
       "tests/test_coursework_hostile.py::"
       "test_patching_is_flagged_from_the_text_and_unseen_patches_gain_nothing"),
      "every master's student notebook; hostile submissions opening the tests' files"),
    C(r"never with the reference solution's own output",
      ("tests/test_claims.py::test_hidden_tests_embed_no_line_of_the_reference_solution",),
      "every question of every master (named in the text)"),
    C(r"it stops with the reason and writes nothing: never zeros for everyone",
      ("tests/test_coursework_hostile.py::"
       "test_a_broken_sandbox_refuses_to_mark_and_writes_nothing",),
      "a sandbox whose mount hides the Python environment: marking raises and the folder "
      "holds only the submission"),
    C(r"(numbers, arrays, tensors; never a pickle)",
      ("tests/test_coursework_hostile.py::test_the_decoder_refuses_forged_replies_at_once",
       "tests/test_coursework_hostile.py::test_the_decoder_still_carries_honest_values"),
      "the worker's JSON codec: a pickle tag is refused, arrays, tensors, modules and "
      "numbers cross"),
    C(r"(the tests mark one with 30 MB of outputs like the others)",
      ("tests/test_coursework_hostile.py::test_honest_submissions_get_full_marks_and_no_note",),
      "one chapter-1 notebook with 30 MB of outputs (named): full marks, no note"),
    C(r"In the tests, honest notebooks of chapters 1 and 3 are marked within a budget of "
      r"40 seconds each",
      ("tests/test_coursework_hostile.py::test_honest_submissions_get_full_marks_and_no_note",
       "tests/test_coursework_hostile.py::test_one_time_budget_per_notebook"),
      "the hostile class's honest notebooks (chapters 1 and 3), budget 40 s (named): none "
      "gets a time-out note"),
    C(r"(re)makes the graders of any master that changed",
      ("tests/test_coursework_hostile.py::test_stale_graders_are_made_again",),
      "one master edited after its grader was made"),
    C(r"`TIMEOUT` seconds is the budget of the whole notebook: its cells, any rerun or "
      r"restart of them and every call of its functions by the tests, together",
      ("tests/test_coursework_hostile.py::test_one_time_budget_per_notebook",),
      "slow calls, crashing calls (restarts) and an endless loop (rerun) in the hostile "
      "class, budget 40 s"),
    C(r"(a link is never followed, so a link to your solutions earns nothing)",
      ("tests/test_coursework_hostile.py::test_links_and_folders_are_refused_with_a_note",),
      "a symbolic link to the reference solutions and a folder named *.ipynb"),
    C(r"one whose file name names another chapter than its metadata is marked as the "
      r"metadata says, with a note",
      ("tests/test_coursework_hostile.py::"
       "test_a_chapter_named_wrongly_is_marked_by_its_content_with_a_note",),
      "a chapter-1 notebook named ch03"),
    N(r"and wants more points than the answers earn", "description"),
    C(r"the note says `its processes together used more than their ... GiB`",
      ("tests/test_coursework_hostile.py::test_processes_memory_and_disk_are_bounded_per_submission",
       "tests/test_coursework_hostile.py::test_a_group_rereads_at_its_memory_limit_only_while_it_thrashes",
       "tests/test_coursework_hostile.py::test_one_time_budget_per_notebook"),
      "four processes of 1 GiB in a 3 GiB budget: the kill note (or, held there, the held note); "
      "a 256 MiB group rereads evicted pages only while it thrashes, not after touching the limit "
      "or beside its page cache; the note reaches grades.csv"),
    C(r"reply that the sandbox's worker never sends when honest (malformed, oversized, nested "
      r"too deep, integers with thousands of digits, a module larger than the weights sent with "
      r"it) ends the session at once",
      ("tests/test_coursework_hostile.py::test_the_decoder_refuses_forged_replies_at_once",
       "tests/test_coursework_hostile.py::"
       "test_a_forged_reply_ends_the_session_and_withholds_the_marks",
       "tests/test_coursework_hostile.py::test_the_decoder_still_carries_honest_values"),
      "nine forged replies (each kind named in the text), one forged inside a sandbox; "
      "honest values still decode"),
    C(r"All public checks run first, before any hidden test has called the submission",
      ("tests/test_coursework_hostile.py::test_hidden_inputs_never_reach_the_students_feedback",),
      "a submission that records every call and reports the count in its public checks"),
    C(r"one memory budget for all its processes together",
      ("tests/test_coursework_hostile.py::"
       "test_processes_memory_and_disk_are_bounded_per_submission",),
      "a fork bomb, a several-process memory hog and a disk filler, at the test's limits "
      "(3 GiB, 64 processes)"),
    C(r"A known-good notebook is marked before any submission",
      ("tests/test_coursework_hostile.py::"
       "test_a_broken_sandbox_refuses_to_mark_and_writes_nothing",),
      "a sandbox that hides the Python environment"),
    C(r"a symbolic link in the folder is refused, never followed",
      ("tests/test_coursework_hostile.py::test_links_and_folders_are_refused_with_a_note",),
      "a link to the reference solutions"),
    C(r"any failure ends the session, kills the sandbox and is flagged `TAMPERING`",
      ("tests/test_coursework_hostile.py::"
       "test_a_forged_reply_ends_the_session_and_withholds_the_marks",
       "tests/test_coursework_hostile.py::test_the_decoder_refuses_forged_replies_at_once"),
      "a forged reply inside a sandbox and nine forged messages to the decoder"),
    C(r"4 GiB for all its processes together",
      ("tests/test_coursework_hostile.py::"
       "test_processes_memory_and_disk_are_bounded_per_submission",),
      "the mechanism at the test's limit of 3 GiB (4 GiB is Limits' default, a doctest)"),
    N(r"tests that check less than they should", "description"),
    C(r"assigning to (or deleting) an attribute or an item of an imported numpy, torch, "
      r"otter, scipy, IPython, `math` or `sys` module or of the builtins",
      ("tests/test_claims.py::test_the_tampering_reading_flags_what_the_teaching_page_names",
       "tests/test_coursework_hostile.py::"
       "test_patching_is_flagged_from_the_text_and_unseen_patches_gain_nothing"),
      "every module named, assignment and deletion, under any name; an unguarded "
      "module not flagged; "
      "a patched numpy in a marked class"),
]
