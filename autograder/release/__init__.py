"""What builds the student release from the instructor's sources (never shipped to students).

    python -m autograder.release                          # rebuild course/ from solutions/ and lib/
    python -m autograder.release.sync_solutions --check   # notebook answers match the library

``paths`` says where things live; ``regions`` finds solution regions in Python source;
``sync_solutions`` copies the library's regions into the solution notebooks; ``edition`` writes
the library without its answers, plus the checks; ``release`` runs nbgrader's
generate_assignment and adds the edition, into course/.
"""
