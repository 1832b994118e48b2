"""ok / not ok lines and their counts for the Python checkers of tests/
(catalog_names.py, zabbix_template.py), as tests/lib.sh gives the shell
tests: check(cond, what, detail) prints one line, summary() the counts and
returns the exit status."""

passed = failed = 0


def check(cond, what, detail=()):
    """One result; on failure up to 20 lines of detail follow as comments."""
    global passed, failed
    if cond:
        passed += 1
        print("ok - " + what)
    else:
        failed += 1
        print("not ok - " + what)
        for d in list(detail)[:20]:
            print("#   " + d)
    return cond


def summary(prefix=""):
    print("%s%d passed, %d failed" % (prefix, passed, failed))
    return 1 if failed else 0
