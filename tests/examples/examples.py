#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""examples.py COWTRACE: the user's path, on programs nobody here wrote.

Every example of the README, of `cowtrace --help`, of the man page and of
doc/cowtrace_example.txt is
collected from those texts (not copied here) and run against Debian's
redis-server and python3, then checked for what its text promises.  An
example the table below has no runner for is a FAIL: a new example cannot be
left unrun.  What examples name that does not exist here is substituted,
and said: `$(pidof redis-server)` and `181` are a Redis started for the test
(filled with data, SETs running while it saves), the cgroup is one made for
it, `app.py` is a pre-fork Python server (tests/workloads/pygc.py), long
durations and intervals are shortened.

Ground truth comes from the programs themselves: Redis's INFO
(rdb_last_cow_size) and the Python workers' own Private_Dirty.

Then the rest of the path a user walks: exit statuses, -O, a textfile that
stops being writable, -p following forks and --no-follow, and every
statistic of `cowtrace stats -o json` with the same value in JSON and in
Prometheus from one record.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from privdirty import copy_bounds  # noqa: E402

CT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".output/cowtrace")
TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PASS = FAIL = SKIP = 0


def ok(what):
    global PASS
    PASS += 1
    print(f"ok examples {what}", flush=True)


def bad(what, why=""):
    global FAIL
    FAIL += 1
    print(f"FAIL examples {what}" + (f": {why}" if why else ""), flush=True)


def check(cond, what, why=""):
    (ok if cond else lambda w: bad(w, why))(what)
    return cond


# ---------------------------------------------------------------- the texts

def strip_comment(line):
    return re.sub(r"\s+#\s.*$", "", line).strip()


def is_synopsis(cmd):
    """A usage line ("cowtrace [-p PID | ...]"), not an example (a pipe's filters may have "[")."""
    cmd = cmd.split(" | ", 1)[0]
    return "[" in cmd or re.search(r"\b(FILE|OUT|SECONDS)\b", cmd) is not None


def help_examples():
    out = subprocess.run([CT, "--help"], capture_output=True, text=True).stdout
    sect = out.split("EXAMPLES:", 1)[1] if "EXAMPLES:" in out else ""
    ex = []
    for line in sect.splitlines():
        if not line.startswith(" "):
            if line.strip() and ex:
                break
            continue
        c = strip_comment(line)
        if c.startswith("cowtrace "):
            ex.append(c)
        elif c.startswith("-"):  # argp's option list begins
            break
    return ex


def man_examples():
    text = open(os.path.join(TOP, "doc", "cowtrace.8")).read()
    sect = text.split(".SH EXAMPLES", 1)[1].split(".SH ", 1)[0]
    ex = []
    for block in re.findall(r"\.EX\n(.*?)\n\.EE", sect, re.S):
        for line in block.splitlines():
            c = strip_comment(line.replace("\\-", "-").replace("\\(dq", '"'))
            if c.startswith("cowtrace "):
                ex.append(c)
    return ex


def example_txt_examples():
    """doc/cowtrace_example.txt: its commands are the lines that start "# cowtrace " (as bcc's)."""
    ex = []
    for line in open(os.path.join(TOP, "doc", "cowtrace_example.txt")):
        if line.startswith("# cowtrace "):
            ex.append(strip_comment(line[2:]))
    return ex


# The other commands of doc/cowtrace_example.txt ("# redis-server ...") set the stage; the suite's
# Env does the same itself (start_redis, start_writer, info), so each must be one of these.
EXAMPLE_TXT_SETUP = (
    r'redis-server --port \d+ --save "" --enable-debug-command yes( .*)?',
    r"redis-cli -p \d+ debug populate 400000 key 256",
    r"redis-benchmark -p \d+ -t set -n 100000000 -r 400000 -d 256 -c 4 -q > /dev/null &",
    r"kill \$!",
    r"redis-cli -p \d+ info (persistence|stats) \| grep .*",
)


def example_txt_setup_unknown():
    """Commands of doc/cowtrace_example.txt that are neither cowtrace's nor the suite's setup."""
    out = []
    for line in open(os.path.join(TOP, "doc", "cowtrace_example.txt")):
        if line.startswith("# ") and not line.startswith("# cowtrace "):
            c = line[2:].strip()
            if not any(re.fullmatch(r, c) for r in EXAMPLE_TXT_SETUP):
                out.append(c)
    return out


def readme_examples():
    ex = []
    for line in open(os.path.join(TOP, "README.md")):
        if not line.startswith("    "):
            continue
        c = strip_comment(line)
        if c.startswith("cowtrace ") and not is_synopsis(c):
            ex.append(c)
    return ex


# ------------------------------------------------------------- the machine

class Env:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cowtrace-examples.")
        self.port = 6391
        self.redis = None
        self.cgroup = None
        self.writer = None

    def start_redis(self):
        if not shutil.which("redis-server") or not shutil.which("redis-cli"):
            return "redis-server or redis-cli not installed (make test-deps)"
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True)
        self.redis = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no", "--dir", self.dir,
             "--dbfilename", "dump.rdb", "--enable-debug-command", "yes", "--logfile", self.dir + "/redis.log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if self.cli("ping").strip() == "PONG":
                break
            time.sleep(0.1)
        else:
            return "redis-server did not answer"
        # about 110 MB of values: a BGSAVE that lasts long enough for writes to land in it
        self.cli("debug", "populate", "400000", "key", "256")
        cg2 = None
        for line in open("/proc/self/mountinfo"):
            f = line.split()
            if f[f.index("-") + 1] == "cgroup2":
                cg2 = f[4]
                break
        if not cg2:
            return "no cgroup2 mount for the -c examples"
        cg = cg2 + "/cowtrace-examples-redis"
        try:
            os.makedirs(cg, exist_ok=True)
            with open(cg + "/cgroup.procs", "w") as f:
                f.write(str(self.redis.pid))
            self.cgroup = cg
        except OSError as e:
            return f"cannot make cgroup {cg}: {e}"
        return None

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port)] + list(args), capture_output=True,
                              text=True).stdout

    def info(self, section="persistence"):
        d = {}
        for line in self.cli("info", section).splitlines():
            if ":" in line:
                k, v = line.strip().split(":", 1)
                d[k] = v
        return d

    def wait_save(self):
        for _ in range(600):
            if self.info().get("rdb_bgsave_in_progress") == "0":
                return True
            time.sleep(0.1)
        return False

    def start_writer(self):
        """SETs over the whole key space while the test runs: what a server under load does."""
        self.stop_writer()
        if shutil.which("redis-benchmark"):
            self.writer = subprocess.Popen(
                ["redis-benchmark", "-p", str(self.port), "-t", "set", "-n", "100000000", "-r", "400000",
                 "-d", "256", "-c", "4", "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop_writer(self):
        if self.writer:
            self.writer.kill()
            self.writer.wait()
            self.writer = None

    def write_app(self):
        with open(os.path.join(self.dir, "app.py"), "w") as f:
            f.write("# a pre-fork server: the parent builds its data, two workers read it\n"
                    "import runpy, sys\n"
                    f"sys.argv = ['app.py', 'plain', '40000']\n"
                    f"runpy.run_path({os.path.join(TOP, 'tests', 'workloads', 'pygc.py')!r}, run_name='__main__')\n")

    def close(self):
        self.stop_writer()
        if self.redis:
            self.cli("shutdown", "nosave")
            try:
                self.redis.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.redis.kill()
        if self.cgroup:
            try:
                os.rmdir(self.cgroup)
            except OSError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


# ----------------------------------------------------------------- running

def canonical(cmd):
    """The example in the form the runners know: the example file's own Redis (its pid file, its
    port) and its path to the Python workload are the README's $(pidof redis-server), redis-cli
    and app.py."""
    s = re.sub(r"\$\(cat \S*redis\S*\.pid\)", "$(pidof redis-server)", cmd)
    s = re.sub(r"redis-cli -p \d+ ", "redis-cli ", s)
    return re.sub(r"python3 tests/workloads/pygc\.py (plain|freeze)( \d+)?", "python3 app.py", s)


def substitute(env, cmd):
    """The example as it runs here, and what was substituted."""
    s = cmd
    s = s.replace("$(pidof redis-server)", str(env.redis.pid))
    s = re.sub(r"\$\(cat \S*redis\S*\.pid\)", str(env.redis.pid), s)
    s = re.sub(r"-p 181\b", f"-p {env.redis.pid}", s)
    s = re.sub(r"redis-cli -p \d+ ", f"redis-cli -p {env.port} ", s)
    s = s.replace("redis-cli bgsave", f"redis-cli -p {env.port} bgsave")
    s = re.sub(r"(?<![\w/])tests/workloads/", os.path.join(TOP, "tests", "workloads") + "/", s)
    s = re.sub(r"/sys/fs/cgroup/system\.slice/redis[-\w]*\.service", env.cgroup, s)
    s = s.replace("/var/lib/prometheus/node-exporter/cowtrace.prom", os.path.join(env.dir, "cowtrace.prom"))
    s = re.sub(r"-d 60\b", "-d 5", s)
    s = re.sub(r"-i (10|15)\b", "-i 1", s)
    if " -i 1" in s and " -d " not in s:
        s += " -d 3.5" if "--" not in s.split() else ""
    s = s.replace("cowtrace ", CT + " ", 1)
    return s


def run(env, cmdline, timeout=120, interrupt_after=None, extra_env=None, when_ready=None):
    """Run cmdline in env.dir: (exit status, stdout, stderr, seconds).  when_ready: called once
    cowtrace says on stderr that tracing has begun (interrupt_after counts from then)."""
    e = dict(os.environ, TRUTH_FILE=os.path.join(env.dir, "truth"), **(extra_env or {}))
    t0 = time.time()
    p = subprocess.Popen(["bash", "-c", cmdline], cwd=env.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=e, start_new_session=True)
    early = ""
    if when_ready:
        while True:  # cowtrace writes this line once attached, or an error and exits (EOF)
            line = p.stderr.readline()
            early += line
            if not line or line.startswith("cowtrace: tracing "):
                break
        when_ready()
    try:
        if interrupt_after is not None:
            try:
                out, err = p.communicate(timeout=interrupt_after)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGINT)
                out, err = p.communicate(timeout=timeout)
        else:
            out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        return 124, out, early + err + "\n(timed out)", time.time() - t0
    return p.returncode, out, early + err, time.time() - t0


def text_table(out, title):
    """Rows of a text report table: a list of dicts by header."""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(title):
            hdr = lines[i + 1].split()
            rows = []
            for row in lines[i + 2:]:
                if row.startswith("        ") and rows:
                    continue  # a row's detail line (FORKS: what the parent held, the copies' memory)
                if not row.strip() or not row[0].isdigit() and not row.startswith("-"):
                    break
                rows.append(dict(zip(hdr, row.split())))
            return rows
    return []


def json_lines(out, what):
    if not out.strip():
        bad(what + " JSON on stdout", "stdout is empty")
        return None
    objs = []
    for n, line in enumerate(out.splitlines()):
        try:
            objs.append(json.loads(line))
        except ValueError:
            bad(what + " every stdout line is JSON", f"line {n + 1}: {line[:100]}")
            return None
    return objs


def pages(env, kb):
    return int(kb) * 1024 // os.sysconf("SC_PAGE_SIZE")


def truth(env):
    try:
        t = open(os.path.join(env.dir, "truth")).read().split()
    except OSError:
        return {}
    return dict(x.split("=", 1) for x in t if "=" in x)


def check_text_header(what, out, rc):
    check(rc == 0, what + " exit 0", f"exit {rc}")
    check(re.match(r"cowtrace \S+: kernel \S+, \w+ mode, [\d.]+ s", out or "") is not None,
          what + " text report header", (out or "")[:120])
    check("PROCESSES" in out, what + " a PROCESSES table")


def check_bgsave_fork(env, what, out, rc, info_before):
    """The server's BGSAVE fork, both sides traced, against Redis's own rdb_last_cow_size."""
    check(rc == 0, what + " exit 0 (redis-cli's)", f"exit {rc}")
    env.wait_save()
    info = env.info()
    forks = [r for r in text_table(out, "FORKS") if r.get("PARENT") == str(env.redis.pid)]
    if not check(len(forks) >= 1, what + " the FORKS table has the server's fork", out[-1500:]):
        return
    fk = forks[0]
    check(fk.get("CHILD_COPIES") not in (None, "-"), what + " the fork's child was traced (CHILD_COPIES not '-')",
          str(fk))
    procs = {r["PID"] for r in text_table(out, "PROCESSES")}
    check(fk.get("CHILD") in procs or "(N more)" in out, what + f" the child {fk.get('CHILD')} has a row")
    if info.get("rdb_last_bgsave_status") != "ok" or info.get("rdb_saves") == info_before.get("rdb_saves"):
        bad(what + " Redis saved", str(info))
        return
    redis_pages = int(info.get("rdb_last_cow_size", "0")) // os.sysconf("SC_PAGE_SIZE")
    ours = sum(int(fk[k]) for k in ("PARENT_COPIES", "CHILD_COPIES") if fk.get(k, "-").isdigit())
    # rdb_last_cow_size is the child's Private_Dirty, sampled by the child: every page either side
    # copied leaves the child a private one
    lo, hi = 0.75 * redis_pages - 64, 1.25 * redis_pages + 64
    check(lo <= ours <= hi, what + f" the fork's copies {ours} agree with Redis's rdb_last_cow_size "
          f"{redis_pages} pages (±25% + 64)", f"{ours} not in [{lo:.0f}, {hi:.0f}]")
    # the stall: Redis times fork() from userspace (latest_fork_usec), cowtrace the call inside it; Redis's
    # also holds the wait for a CPU after the call (the writer's clients on 2 vCPUs: up to half of it seen)
    usec = int(env.info("stats").get("latest_fork_usec", "0"))
    stall = fk.get("STALL_MS", "-")
    check(stall != "-" and 0.25 * usec <= float(stall) * 1000 <= usec + 1,
          what + f" the fork's STALL_MS {stall} is within Redis's own latest_fork_usec {usec} and at least a "
          "quarter of it", str(fk))
    check(fk.get("PGTABLES", "-") != "-", what + " the fork's PGTABLES is known", str(fk))
    print(f"  redis: rdb_last_cow_size {redis_pages} pages, cowtrace {ours} "
          f"(parent {fk.get('PARENT_COPIES')}, child {fk.get('CHILD_COPIES')}), "
          f"latest_fork_usec {usec}, STALL_MS {stall}, PGTABLES {fk.get('PGTABLES')}", flush=True)


def check_app(env, what, out, rc, fmt="text"):
    """The pre-fork Python app: its workers' copies against their own Private_Dirty."""
    check(rc == 0, what + " exit 0 (python3's)", f"exit {rc}")
    t = truth(env)
    if not check("worker1" in t, what + " the app wrote its truth", str(t)[:200]):
        return
    if fmt == "text":
        rows = {r["PID"]: {"copy": r.get("COPY", "0")} for r in text_table(out, "PROCESSES")}
    else:  # the final NDJSON object's processes
        objs = json_lines(out, what)
        final = objs[-1] if objs else {}
        check(final.get("final") is True, what + " the last line is the final report")
        rows = {str(p.get("pid")): {"copy": p.get("copy")} for p in final.get("processes", [])}
    for w in ("1", "2"):
        pid = t[f"worker{w}"]
        # right after fork() nothing of the worker is private: its Private_Dirty at the end is the
        # pages it copied (the parent only waits) and the new pages it touched (Rss growth bounds them)
        pd = pages(env, int(t[f"w{w}_pd_kb"]))
        new = max(0, pages(env, int(t[f"w{w}_rss_kb"]) - int(t[f"w{w}_rss0_kb"])))
        r = rows.get(pid)
        if not check(r is not None and r["copy"] is not None, what + f" worker {pid} has a row"):
            continue
        got = int(r["copy"])
        lo, hi, tol = copy_bounds(pd, new)  # as the stacks suite allows (tests/lib/privdirty.py)
        check(lo <= got <= hi, what + f" worker {pid} copies {got} agree with its own Private_Dirty {pd} pages "
              f"(less up to {new} new ones, ± 2% + 32)", f"{got} not in [{lo:.0f}, {hi:.0f}]")


def svg_ok(path, what, needle=None):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        bad(what + f" {os.path.basename(path)} is an SVG", str(e))
        return
    check(root.tag.endswith("svg"), what + f" {os.path.basename(path)} is an SVG", root.tag)
    if needle:
        check(needle in open(path).read(), what + f" {os.path.basename(path)} names {needle}")


def stats_table():
    return json.loads(subprocess.run([CT, "stats", "-o", "json"], capture_output=True, text=True).stdout)


def run_example(env, ex_shown, stats):
    what = f"'{ex_shown}':"
    cmd = substitute(env, ex_shown)
    if cmd.replace(CT, "cowtrace") != ex_shown:
        print(f"  runs as: {cmd.replace(CT, 'cowtrace')}", flush=True)
    ex = canonical(ex_shown)  # what the runners below match
    redis = "redis" in ex or "181" in ex
    if redis:
        env.start_writer()
        time.sleep(0.3)
    info_before = env.info()
    try:
        if re.fullmatch(r"cowtrace -d 5", ex):
            # something on the machine forks meanwhile, as a user's would: an idle one may copy nothing
            busy = []
            rc, out, err, took = run(env, cmd, when_ready=lambda: busy.append(subprocess.Popen(
                ["bash", "-c", "for i in $(seq 60); do /bin/true; sleep 0.05; done"])))
            for b in busy:
                b.wait()
            check_text_header(what, out, rc)
            check(took >= 5, what + f" ran 5 s ({took:.1f})")
        elif re.fullmatch(r"cowtrace -p 181", ex):
            # Ctrl-C after a BGSAVE
            rc, out, err, took = run(env, cmd, interrupt_after=5, when_ready=lambda: bgsave(env))
            check_text_header(what, out, rc)
            check(any(r["PID"] == str(env.redis.pid) for r in text_table(out, "PROCESSES")),
                  what + " the process has a row")
            forks = [r for r in text_table(out, "FORKS") if r.get("PARENT") == str(env.redis.pid)]
            check(forks and forks[0].get("CHILD_COPIES") != "-", what + " it follows the fork (CHILD_COPIES not '-')",
                  str(forks))
        elif re.fullmatch(r"cowtrace -p 181 --events", ex):
            rc, out, err, took = run(env, cmd, interrupt_after=4, when_ready=lambda: bgsave(env))
            check(rc == 0, what + " exit 0", f"exit {rc}: {err[-300:]}")
            objs = json_lines(out, what)
            if objs:
                ev = [o for o in objs if "event" in o]
                check(ev, what + " event lines")
                check(objs[-1].get("final") is True, what + " the last line is the final report")
                pids = {o.get("pid") for o in ev}
                check(env.redis.pid in pids, what + " events of the process")
        elif re.fullmatch(r"cowtrace -p \$\(pidof redis-server\) -- redis-cli bgsave", ex):
            rc, out, err, took = run(env, cmd)
            check_bgsave_fork(env, what, out, rc, info_before)
        elif re.fullmatch(r"cowtrace -p \$\(pidof redis-server\) --record bgsave.ctr -- redis-cli bgsave", ex):
            rc, out, err, took = run(env, cmd)
            check_bgsave_fork(env, what, out, rc, info_before)
            check(os.path.getsize(os.path.join(env.dir, "bgsave.ctr")) > 0, what + " bgsave.ctr written")
        elif re.fullmatch(r"cowtrace -c \S+ -d 60( -o json -i 10)?", ex):
            rc, out, err, took = run(env, cmd, when_ready=lambda: bgsave(env))
            if "-o json" in ex:
                objs = json_lines(out, what)
                if objs:
                    check(len(objs) >= 3 and objs[-1].get("final") is True,
                          what + f" one summary per interval and a final one ({len(objs)} lines)")
                    procs = objs[-1].get("processes", [])
                    check(any(p.get("pid") == env.redis.pid for p in procs), what + " the server in the report")
                    check(all(p.get("comm") in ("redis-server", "redis-rdb-bgsave", None) for p in procs),
                          what + " only the cgroup's processes",
                          str({p.get("comm") for p in procs}))
            else:
                check_text_header(what, out, rc)
                comms = {r["COMM"] for r in text_table(out, "PROCESSES")}
                check(comms and comms <= {"redis-server", "redis-rdb-bgsave"},
                      what + " only the cgroup's processes", str(comms))
        elif re.fullmatch(r"cowtrace (-o json |--stacks )?-- python3 app.py", ex):
            rc, out, err, took = run(env, cmd)
            check_app(env, what, out, rc, "json" if "-o json" in ex else "text")
            if "--stacks" in ex:
                check("TOP STACKS" in out, what + " a TOP STACKS table")
        elif re.fullmatch(r"cowtrace -o json -- python3 app.py \| tail -n 1 \| jq (-c|-e) .+", ex):
            # a CI job: cowtrace's part checked as above, then the jq filter on its final line
            ct_part, rest = cmd.split(" | ", 1)
            rc, out, err, took = run(env, ct_part)
            check_app(env, what, out, rc, "json")
            p = subprocess.run(["bash", "-c", rest], input=out, capture_output=True, text=True, cwd=env.dir)
            got = p.stdout.strip()
            if " jq -e " in ex:  # a gate: the job fails when the answer is false
                check((got, p.returncode) in (("true", 0), ("false", 1)),
                      what + " jq -e answers true (exit 0) or false (exit 1)",
                      f"exit {p.returncode}: {got[:200]!r} {p.stderr[-200:]!r}")
            else:
                check(p.returncode == 0 and got and json_lines(got, what) is not None,
                      what + " jq prints JSON", f"exit {p.returncode}: {got[:200]!r} {p.stderr[-200:]!r}")
        elif re.fullmatch(r"cowtrace -o json -i 10", ex):
            rc, out, err, took = run(env, cmd)
            objs = json_lines(out, what)
            if objs:
                check(len(objs) >= 3 and objs[-1].get("final") is True and not objs[0].get("final"),
                      what + f" one NDJSON summary per interval, then the final one ({len(objs)} lines)")
        elif re.fullmatch(r"cowtrace predict -p \$\(pidof redis-server\)( --window \d+)?", ex):
            # before a BGSAVE: what its fork would cost; then the BGSAVE, and Redis's own latest_fork_usec
            rc, out, err, took = run(env, cmd)
            check(rc == 0, what + " exit 0", f"exit {rc}: {err[-300:]}")
            m = re.search(r"^THE STALL: ([\d.]+) ms in the fork call, predicted$", out, re.M)
            check(m is not None, what + " a predicted stall", out[:600])
            check(re.search(r"^now: .* resident .* in \d+ VMAs, .* of page tables \(VmPTE\)$", out, re.M),
                  what + " the process now: resident, VMAs, page tables", out[:300])
            check(re.search(r"^THE COPIES (the parent would make|: unknown: this kernel keeps no soft-dirty)", out,
                            re.M) or re.search(r"^THE COPIES: unknown: ", out, re.M),
                  what + " the copies, or why not", out[-600:])
            if m:
                bgsave(env)
                env.wait_save()
                usec = int(env.info("stats").get("latest_fork_usec", "0"))
                ms = float(m[1])
                # Redis's own clock holds the wait for a CPU after the call too (4 clients on 2 vCPUs): the
                # prediction of the call is checked against it loosely here, by hand in the note
                check(usec > 0 and 0.2 * usec <= ms * 1000 <= 2 * usec,
                      what + f" predicted {ms} ms against the next BGSAVE's latest_fork_usec {usec}",
                      f"{ms * 1000:.0f} us not in [{0.2 * usec:.0f}, {2 * usec:.0f}]")
                print(f"  redis: predicted stall {ms} ms, latest_fork_usec {usec}", flush=True)
        elif re.fullmatch(r"cowtrace probes", ex):
            rc, out, err, took = run(env, cmd)
            check(rc == 0, what + " exit 0", err[-300:])
            names = {l.split()[0] for l in out.splitlines() if l.strip()}
            missing = [s["name"] for s in stats["statistics"] if s["name"] not in names]
            check(not missing, what + " a line for every statistic of 'cowtrace stats'", str(missing))
        elif re.fullmatch(r"cowtrace -i 15 --prom \S+", ex):
            rc, out, err, took = run(env, cmd)
            check(rc == 0, what + " exit 0", err[-300:])
            prom = os.path.join(env.dir, "cowtrace.prom")
            text = open(prom).read() if os.path.exists(prom) else ""
            # the families of the statistics this kernel gives (cowtrace_probe_info says which)
            avail = set(re.findall(r'cowtrace_probe_info\{statistic="(\w+)",[^}]*quality="(?:exact|derived)"', text))
            check(avail, what + " cowtrace_probe_info names the available statistics")
            fams = {s["prometheus"]["family"] for s in stats["statistics"] if s.get("prometheus") and s["name"] in avail}
            fams |= {h["prometheus"]["family"] for h in stats["histograms"]
                     if h.get("prometheus") and h["statistic"] in avail}
            missing = sorted(f for f in fams if f"# TYPE {f} " not in text)
            check(text and not missing, what + " the textfile has every family of 'cowtrace stats'", str(missing))
            check(not [f for f in os.listdir(env.dir) if f.startswith(".cowtrace.prom")],
                  what + " no temp file left")
        elif re.fullmatch(r"cowtrace report bgsave.ctr( --svg bgsave.svg)?", ex):
            rc, out, err, took = run(env, cmd)
            check(rc == 0, what + " exit 0", err[-300:])
            if "--svg" in ex:
                svg_ok(os.path.join(env.dir, "bgsave.svg"), what)
            else:
                check("FORKS" in out and str(env.redis.pid) in out, what + " the fork, offline")
        elif re.fullmatch(r"cowtrace report bgsave.ctr -o json --prom bgsave.prom", ex):
            rc, out, err, took = run(env, cmd)
            objs = json_lines(out, what)
            check(rc == 0 and objs and objs[-1].get("final"), what + " a final JSON report", err[-300:])
            check(os.path.exists(os.path.join(env.dir, "bgsave.prom")), what + " bgsave.prom written")
        elif re.fullmatch(r"cowtrace (--stacks )?--flamegraph cow.svg( --folded cow.folded)? -- python3 app.py", ex):
            rc, out, err, took = run(env, cmd)
            check_app(env, what, out, rc)
            svg_ok(os.path.join(env.dir, "cow.svg"), what, "python3")
            if "--folded" in ex:
                lines = open(os.path.join(env.dir, "cow.folded")).read().splitlines()
                good = [l for l in lines if re.fullmatch(r"[^;]+(;[^;]+)*;\[\w+( in [^]]+)?\] \d+", l)]
                check(lines and len(good) == len(lines), what + " folded lines 'comm;...;[kind in mapping] N'",
                      str([l for l in lines if l not in good][:3]))
        elif re.fullmatch(r"cowtrace --stacks --record run.ctr -- python3 app.py", ex):
            rc, out, err, took = run(env, cmd)
            check_app(env, what, out, rc)
        elif re.fullmatch(r"cowtrace report run.ctr --flamegraph cow.svg", ex):
            rc, out, err, took = run(env, cmd)
            check(rc == 0, what + " exit 0", err[-300:])
            svg_ok(os.path.join(env.dir, "cow.svg"), what, "python3")
        else:
            bad(what + " run by the suite", "no runner for this example in tests/examples/examples.py")
    finally:
        env.stop_writer()
        env.wait_save()


def bgsave(env):
    """A BGSAVE, started now (the server forks before it answers)."""
    env.cli("bgsave")


# ------------------------------------------------------------- the rest of the path

def path_checks(env, stats):
    # exit statuses: the command's, as time(1) does
    rc, out, err, _ = run(env, f"{CT} -q -- sh -c 'exit 3'")
    check(rc == 3, "exit status of -- CMD is the command's (3)", f"exit {rc}")
    rc, out, err, _ = run(env, f"{CT} -q -- sh -c 'kill -TERM $$'")
    check(rc == 128 + 15, "a command killed by SIGTERM: exit 143", f"exit {rc}")
    # -O: the report into a file, nothing on stdout
    rc, out, err, _ = run(env, f"{CT} -q -O rep.txt -- true")
    rep = open(os.path.join(env.dir, "rep.txt")).read() if os.path.exists(os.path.join(env.dir, "rep.txt")) else ""
    check(rc == 0 and not out and rep.startswith("cowtrace "), "-O FILE: the report in FILE, stdout empty",
          f"exit {rc}, stdout {out[:80]!r}")
    # a textfile that stops being writable: said, and exit 1
    d = os.path.join(env.dir, "gone")
    os.makedirs(d)
    p = subprocess.Popen([CT, "-q", "-i", "0.3", "-d", "2.5", "--prom", d + "/x.prom"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(1.2)
    shutil.rmtree(d)
    _, err = p.communicate(timeout=60)
    check(p.returncode == 1 and "gone" in err, "a textfile that cannot be written later: said, exit 1",
          f"exit {p.returncode}, stderr {err[-200:]!r}")
    # -p follows what it forks; --no-follow does not, and says the other side is not traced
    for follow in (True, False):
        env.start_writer()
        what = "-p PID -- redis-cli bgsave" + ("" if follow else " --no-follow")
        rc, out, err, _ = run(env, f"{CT} -q -p {env.redis.pid} {'' if follow else '--no-follow '}-o json "
                              f"-O follow.json -- redis-cli -p {env.port} bgsave")
        env.stop_writer()
        env.wait_save()
        objs = json_lines(open(os.path.join(env.dir, "follow.json")).read(), what)
        if not objs:
            continue
        fin = objs[-1]
        forks = [f for f in fin.get("forks", []) if f.get("parent") == env.redis.pid]
        pids = {p.get("pid") for p in fin.get("processes", [])}
        if not check(forks, what + ": the fork is reported", str(fin.get("forks"))[:300]):
            continue
        if follow:
            check(forks[0]["child"] in pids and isinstance(forks[0].get("child_copies"), int),
                  what + ": the child is traced", str(forks[0]))
        else:
            check(pids == {env.redis.pid} and forks[0].get("child_copies") is None,
                  what + ": only the process; the child's side is null, not 0", f"{pids} {forks[0]}")
    # every statistic with the same value in JSON and Prometheus, from one record
    env.start_writer()
    rc, out, err, _ = run(env, f"{CT} -q -p {env.redis.pid} --record agree.ctr -o json -O /dev/null "
                          f"-- redis-cli -p {env.port} bgsave")
    env.stop_writer()
    env.wait_save()
    rc, out, err, _ = run(env, f"{CT} report agree.ctr -o json --prom agree.prom --prom-labels pid")
    objs = json_lines(out, "report agree.ctr")
    try:
        prom = open(os.path.join(env.dir, "agree.prom")).read().splitlines()
    except OSError:
        prom = []
    if not objs or not prom:
        bad("JSON and Prometheus from one record", f"exit {rc}: {err[-300:]}")
        return
    procs = objs[-1]["processes"]
    for s in stats["statistics"]:
        pf = s.get("prometheus")
        if not pf or s["type"] == "histogram":
            continue
        vals = [p.get(s["name"]) for p in procs]
        if all(v is None for v in vals):
            got = [l for l in prom if re.split(r"[{ ]", l, 1)[0] == pf["family"] and
                   (not pf["label"] or f'{pf["label"]}="{pf["value"]}"' in l)]
            check(not got, f"{s['name']}: unavailable in JSON, no series in Prometheus", str(got[:2]))
            continue
        want = sum(v or 0 for v in vals)
        total = 0.0
        for l in prom:
            if l.startswith("#") or re.split(r"[{ ]", l, 1)[0] != pf["family"]:
                continue
            if pf["label"] and f'{pf["label"]}="{pf["value"]}"' not in l:
                continue
            total += float(l.rsplit(" ", 1)[1])
        check(abs(total - want) < 0.5, f"{s['name']}: JSON {want} == Prometheus {total:.0f}")


def main():
    if os.geteuid() != 0:
        global SKIP
        SKIP += 1
        print("skip examples: needs root")
        return
    stats = stats_table()
    env = Env()
    try:
        why = env.start_redis()
        if why:
            bad("Redis for the examples", why)
            return
        env.write_app()
        sources = (("README.md", readme_examples()), ("--help", help_examples()), ("cowtrace.8", man_examples()),
                   ("cowtrace_example.txt", example_txt_examples()))
        seen = []
        for src, exs in sources:
            check(exs, f"{src} has examples")
        unknown = example_txt_setup_unknown()
        check(not unknown, "cowtrace_example.txt: every other command is setup the suite does too",
              f"{unknown} (tests/examples/examples.py EXAMPLE_TXT_SETUP)")
        for src, exs in sources:
            for ex in exs:
                if ex not in seen:
                    seen.append(ex)
        # what a report reads is recorded first
        seen.sort(key=lambda e: e.startswith("cowtrace report"))
        for ex in seen:
            print(f"  example: {ex}", flush=True)
            run_example(env, ex, stats)
        path_checks(env, stats)
    finally:
        env.close()


main()
print(f"examples: {PASS} passed, {FAIL} failed, {SKIP} skipped")
sys.exit(1 if FAIL else 0)
