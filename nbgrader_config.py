"""nbgrader's settings for this course: instructor source in solutions/, student release in course/.

`nbgrader` and the `autograder` tools read this file from the repository root. The grading
folders (submitted/, autograded/, feedback/, exchange/, gradebook.db) are gitignored.
"""

from pathlib import Path

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

ROOT = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "backprop"
c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = f"sqlite:///{ROOT / 'gradebook.db'}"
# nbgrader's exchange (release/fetch/submit on a shared machine). The default, /srv/nbgrader/exchange,
# needs root to create, and formgrader, which never creates it, warns on every page while it is
# missing. A folder here works on one machine; on a JupyterHub, point this at a folder every
# student can write to.
EXCHANGE = ROOT / "exchange"
try:
    EXCHANGE.mkdir(exist_ok=True)
except OSError:
    pass  # a read-only checkout: nbgrader's commands still work, formgrader warns as before
c.Exchange.root = str(EXCHANGE)
# Builders, caches and checkpoints never travel with an assignment.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]

# The secret that hidden test cases are drawn from is not set here: this file is published with the
# kit. `bpk-grade grade` keeps it in the grading workspace (grading/hidden_case_secret; README, TAs).

# What a student sees in an answer cell before writing anything.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\n"
    'raise NotImplementedError("Write your answer here (replace this line), then run the check cell below.")'
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Grading: restore deleted or edited test cells from the source; a per-cell time limit generous
# enough for the training cells at full size (timeouts do not stop the later cells).
c.OverwriteCells.add_missing_cells = True
c.Execute.timeout = 600
c.Execute.allow_errors = True
c.Execute.interrupt_on_timeout = True
# nbgrader scores a test cell with any stderr output zero; these messages are harmless noise
# from libraries, not signs of a wrong answer.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"Matplotlib is building the font cache|DeprecationWarning|FutureWarning"
