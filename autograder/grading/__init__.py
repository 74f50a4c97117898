"""The TA's autograder behind ``bpk-grade``: sandboxed, parallel grading over nbgrader.

One module per concept, in the order a submission meets them:

    workspace         the grading folder (submitted/, versions/, autograded/, feedback/, gradebook.db),
                      its grading lock, its hidden-case secret (each student's salt), and which
                      hand-ins are new or resubmitted
    collect           submissions in: folders, zips, an nbgrader exchange
    records           plain records: limits, a test's outcome, the job a worker grades and the
                      result it sends back; they import nothing that runs student code, so
                      collect, feedback, export and status never load the sandbox
    sandbox           resource limits, Landlock, seccomp, a uid of its own, killing a student's processes
    student_process   the student's side: runs cells, serves calls (runs inside the sandbox)
    student_link      the grader's side of that process: proxies, timeouts, crash reasons
    wire              reading what a student process sends without trusting it
    cells             which cells are answers, tests, given; the graded notebook, from the source alone
    trusted_check     runs the instructor's test cells against proxies
    grader            one submission, notebook by notebook, surviving crashes: each code cell is a
                      step (StudentCell, InstructorTest); a hang or a crash is met in one place
    pool, dask_backend   many submissions at once, on this machine or a Dask cluster
    gradebook_writer  the single writer of nbgrader's gradebook: registering an assignment and
                      recording a submission as declared steps, nbgrader's preprocessors and
                      ours; points go straight into nbgrader's grades
    written           written answers a TA grades by hand in formgrader: kept across regrades, read back
    autograde         a class: jobs out, results written as they come back
    feedback, export, status, self_check, demo   what the TA and students read (feedback also
                      writes the class page per assignment and each student's assignment page)
"""
