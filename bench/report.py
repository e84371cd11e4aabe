#!/usr/bin/env python3
"""Turns bench/results/*.jsonl (written by bench/run.sh) into the tables of
BENCHMARKS.md (between <!-- generated:NAME --> and <!-- /generated:NAME -->
markers) and the plots bench/latency-vs-load.png and bench/rss-vs-pending.png.

Usage: report.py RESULTS_DIR BENCHMARKS.md PLOT_DIR
       report.py fleet ROWS.jsonl   (prints bench/fleet.sh's tables)
"""
import json
import os
import re
import statistics
import sys


def lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def by_server(rows, scenario):
    out = {}
    for row in rows:
        if row["scenario"] == scenario:
            out.setdefault(row["server"], []).append(row)
    return out


def cpu_us(row):
    completed = row["report"]["completed"]
    return row["server_cpu_s"] * 1e6 / completed if completed else float("nan")


def sys_us(row):
    """Of cpu_us, the time the kernel spent on the server's behalf (rows
    measured before it was recorded have none)."""
    completed = row["report"]["completed"]
    if "server_sys_s" not in row or not completed:
        return float("nan")
    return row["server_sys_s"] * 1e6 / completed


def cpu_cell(rows):
    """The median CPU per request of some rounds, and the kernel's part of
    it where recorded: "35.4 (14.2)"."""
    cpu = statistics.median(cpu_us(r) for r in rows)
    kernel = [sys_us(r) for r in rows if "server_sys_s" in r]
    if not kernel:
        return fmt(cpu, 1)
    return f"{fmt(cpu, 1)} ({fmt(statistics.median(kernel), 1)})"


def fmt(x, digits=0):
    if x is None or (isinstance(x, float) and x != x):
        return "-"
    return f"{x:,.{digits}f}"


def accepted(row, work):
    return row["report"]["outcomes"].get(f"{work} Access-Accept", 0)


def accepted_rate(row, work):
    """Access-Accepts per second: replies that let a user in."""
    r = row["report"]
    return r["throughput_per_s"] * accepted(row, work) / r["completed"] if r["completed"] else 0.0


def comparison(rows, scenario, work, with_p99):
    sides = by_server(rows, scenario)
    okta, fr = sides.get("okta-radius", []), sides.get("freeradius", [])
    head = "| round | load (1 min) | okta-radius accepts/s | FreeRADIUS accepts/s | ratio |"
    sep = "|---|---|---|---|---|"
    if with_p99:
        head += " okta-radius p99 ms | FreeRADIUS p99 ms |"
        sep += "---|---|"
    kernel = " (kernel)" if any("server_sys_s" in r for r in okta + fr) else ""
    head += (f" okta-radius CPU µs/req{kernel} | FreeRADIUS CPU µs/req{kernel} |"
             " okta-radius accepted / started | FreeRADIUS accepted / started |")
    sep += "---|---|---|---|"
    out = [head, sep]
    ratios = []
    for i, (a, b) in enumerate(zip(okta, fr), 1):
        ta, tb = accepted_rate(a, work), accepted_rate(b, work)
        ratio = ta / tb if tb else float("nan")
        ratios.append(ratio)
        row = f"| {i} | {a['load'].split()[0]} / {b['load'].split()[0]} | {fmt(ta)} | {fmt(tb)} | {ratio:.2f}x |"
        if with_p99:
            row += f" {fmt(a['report']['latency_ms']['p99'], 2)} | {fmt(b['report']['latency_ms']['p99'], 2)} |"
        row += f" {cpu_cell([a])} | {cpu_cell([b])} |"
        row += f" {accepted(a, work)} / {a['report']['started']} | {accepted(b, work)} / {b['report']['started']} |"
        out.append(row)
    if okta and fr:
        ma = statistics.median(accepted_rate(r, work) for r in okta)
        mb = statistics.median(accepted_rate(r, work) for r in fr)
        row = f"| **median** | | **{fmt(ma)}** | **{fmt(mb)}** | **{statistics.median(ratios):.2f}x** |"
        if with_p99:
            row += (f" {fmt(statistics.median(r['report']['latency_ms']['p99'] for r in okta), 2)} |"
                    f" {fmt(statistics.median(r['report']['latency_ms']['p99'] for r in fr), 2)} |")
        row += f" {cpu_cell(okta)} | {cpu_cell(fr)} | | |"
        out.append(row)
    return "\n".join(out)


def acknowledged(row):
    return row["report"]["outcomes"].get("accounting Accounting-Response", 0)


def accounting_table(rows):
    """Accounting-Responses per second: records acknowledged once stored."""
    sides = ["okta-radius", "okta-radius-fsync", "freeradius"]
    names = {"okta-radius": "okta-radius (fsync off)", "okta-radius-fsync": "okta-radius (fsync on)",
             "freeradius": "FreeRADIUS detail"}
    by = by_server(rows, "accounting")
    out = ["| round | " + " | ".join(f"{names[s]} records/s" for s in sides) + " | "
           + " | ".join(f"{names[s]} CPU µs/record" for s in sides) + " |",
           "|---|" + "---|" * (2 * len(sides))]
    rounds = max((len(by.get(s, [])) for s in sides), default=0)

    def rate(row):
        r = row["report"]
        return r["throughput_per_s"] * acknowledged(row) / r["completed"] if r["completed"] else 0.0

    for i in range(rounds):
        cells = []
        for s in sides:
            runs = by.get(s, [])
            cells.append(fmt(rate(runs[i])) if i < len(runs) else "-")
        for s in sides:
            runs = by.get(s, [])
            cells.append(fmt(cpu_us(runs[i]), 1) if i < len(runs) else "-")
        out.append(f"| {i + 1} | " + " | ".join(cells) + " |")
    if rounds:
        cells = [f"**{fmt(statistics.median(rate(r) for r in by[s]))}**" if by.get(s) else "-" for s in sides]
        cells += [fmt(statistics.median(cpu_us(r) for r in by[s]), 1) if by.get(s) else "-" for s in sides]
        out.append("| **median** | " + " | ".join(cells) + " |")
    return "\n".join(out)


def offered_table(rows):
    rates = sorted({int(r["scenario"].split("-")[1]) for r in rows})
    out = ["| offered /s | server | achieved /s | p50 ms | p99 ms | p99.9 ms | timeouts | load |",
           "|---|---|---|---|---|---|---|---|"]
    for rate in rates:
        for row in rows:
            if row["scenario"] == f"offered-{rate}":
                r = row["report"]
                lat = r["latency_ms"]
                out.append(f"| {fmt(rate)} | {row['server']} | {fmt(r['throughput_per_s'])} | {lat['p50']:.2f} |"
                           f" {lat['p99']:.2f} | {lat['p99.9']:.2f} | {r['timeouts']} | {row['load'].split()[0]} |")
    return "\n".join(out)


def calls_table(rows):
    names = {
        "calls-password": ("password only", None),
        "calls-totp": ("TOTP answered through the challenge", None),
        "calls-push-10s": ("push approved after 10 s", 10),
        "calls-push-10s-retransmit": ("push approved after 10 s, every request retransmitted 3 times", 10),
        "calls-rate-limited": ("password only, org limited to 300 /authn calls per minute", None),
        "pending-pushes": ("push approved after 20 s (the 20,000 pending pushes run)", 20),
    }
    out = ["| flow | logins | outcomes | retransmits sent | Okta calls | calls per login | /authn | factor verify | pushes sent | polls per push per second of waiting |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        if row["scenario"] not in names:
            continue
        label, wait = names[row["scenario"]]
        r = row["report"]
        okta = r.get("okta") or {}
        flows = okta.get("flows", {})
        flow = {"calls-totp": "totp", "calls-push-10s": "push", "calls-push-10s-retransmit": "push",
                "pending-pushes": "push"}.get(row["scenario"], "password")
        f = flows.get(flow, {})
        outcomes = ", ".join(f"{k.split(' ', 1)[1]} {v}" for k, v in sorted(r["outcomes"].items()))
        polls = "-"
        if wait and r["completed"]:
            poll_calls = f.get("factor_verifies", 0) - f.get("pushes_sent", 0)
            polls = f"{poll_calls / r['completed'] / wait:.2f} ({poll_calls / r['completed']:.1f} polls in {wait} s)"
        out.append(f"| {label} | {r['started']} | {outcomes} | {r['retransmits']} | {okta.get('total_calls', '-')} |"
                   f" {okta.get('calls_per_completed', 0):.2f} | {f.get('authn_calls', '-')} | {f.get('factor_verifies', '-')} |"
                   f" {f.get('pushes_sent', '-')} | {polls} |")
    return "\n".join(out)


def pushes_table(rows, idle, samples):
    out = ["| pending logins | accepted | timeouts | server socket drops (kernel) | idle RSS | peak RSS | RSS per held login (at the peak) | p50 ms | p99 ms | load |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        r = row["report"]
        peak_pending = max((s.get("in_flight", 0) for s in samples), default=0)
        idle_kb = idle.get("idle_rss_kb", 0)
        peak_kb = idle.get("peak_rss_kb", 0)
        held = peak_pending or r["started"]
        per = (peak_kb - idle_kb) * 1024 / held if held else 0
        out.append(f"| {r['started']:,} (peak in flight {peak_pending:,.0f}) | {accepted(row, 'push'):,} | {r['timeouts']} |"
                   f" {r.get('server_socket_drops')} | {idle_kb / 1024:.1f} MB | {peak_kb / 1024:.1f} MB | {per / 1024:.1f} KB |"
                   f" {r['latency_ms']['p50']:.0f} | {r['latency_ms']['p99']:.0f} | {row['load'].split()[0]} |")
    return "\n".join(out)


def machine_table(machine):
    # `sections`: what the run that wrote the table measured (a run of some
    # sections dates only theirs).
    keys = ["cpu", "cores", "memory_gb", "os", "kernel", "freeradius", "rustc", "date", "sections",
            "load_at_start", "server_cpus", "driver_cpus"]
    out = ["| | |", "|---|---|"]
    for key in keys:
        out.append(f"| {key} | {machine.get(key, '-')} |")
    return "\n".join(out)


def plots(offered, samples, plot_dir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is missing: no plots", file=sys.stderr)
        return
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for server, colour in (("okta-radius", "tab:blue"), ("freeradius", "tab:red")):
        rows = sorted((r for r in offered if r["server"] == server), key=lambda r: int(r["scenario"].split("-")[1]))
        rates = [int(r["scenario"].split("-")[1]) for r in rows]
        for pct, style in (("p50", ":"), ("p99", "-"), ("p99.9", "--")):
            axes[0].plot(rates, [r["report"]["latency_ms"][pct] for r in rows], style, color=colour, marker="o",
                         markersize=3, label=f"{server} {pct}")
        axes[1].plot(rates, [r["report"]["throughput_per_s"] for r in rows], "-", color=colour, marker="o", label=server)
    axes[0].set_yscale("log")
    axes[0].set_xlabel("offered password logins per second")
    axes[0].set_ylabel("latency (ms, log scale)")
    axes[0].set_title("Latency against offered load\n(simulated Okta, 0 ms added)")
    axes[0].legend(fontsize=7)
    axes[0].grid(True, which="both", alpha=0.3)
    top = max([int(r["scenario"].split("-")[1]) for r in offered] or [1])
    axes[1].plot([0, top], [0, top], color="grey", alpha=0.4, label="offered")
    axes[1].set_xlabel("offered password logins per second")
    axes[1].set_ylabel("answered per second")
    axes[1].set_title("Throughput against offered load")
    axes[1].legend(fontsize=8)
    axes[1].grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(plot_dir, "latency-vs-load.png"), dpi=110)
    plt.close(fig)

    if samples:
        fig, ax = plt.subplots(figsize=(7, 4.2))
        peak = max(range(len(samples)), key=lambda i: samples[i]["in_flight"])
        xs = [s["in_flight"] for s in samples]
        ys = [s["rss_kb"] / 1024 for s in samples]
        ax.plot(xs[:peak + 1], ys[:peak + 1], ".-", color="tab:blue",
                label="okta-radius RSS while logins arrive (every 0.5 s)")
        ax.plot(xs[peak:], ys[peak:], ".", color="grey", alpha=0.5,
                label="while they finish (freed memory stays with the allocator)")
        ax.axhline(200, color="tab:red", linestyle="--", label="target: 200 MB at 20,000")
        ax.set_xlabel("logins held (requests in flight, each waiting for its push)")
        ax.set_ylabel("resident memory (MB)")
        ax.set_title("Memory against pending pushes")
        ax.set_ylim(0, max(220, max(ys) * 1.1))
        ax.legend(fontsize=8)
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        fig.savefig(os.path.join(plot_dir, "rss-vs-pending.png"), dpi=110)
        plt.close(fig)


def tls_table(rows, idle):
    """Password logins over UDP and RADIUS/TLS (one server, alternating
    rounds), TLS handshakes, and the memory of idle TLS connections."""
    sides = by_server(rows, "password-udp").get("okta-radius", [])
    tls = by_server(rows, "password-tls").get("okta-radius", [])
    shakes = by_server(rows, "handshakes").get("okta-radius", [])
    out = ["| round | load (1 min) | UDP accepts/s | TLS accepts/s | TLS / UDP | UDP CPU µs/login | TLS CPU µs/login | TLS p99 ms | handshakes/s | CPU µs/handshake |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for i, (u, t) in enumerate(zip(sides, tls), 1):
        h = shakes[i - 1] if i - 1 < len(shakes) else None
        tu, tt = accepted_rate(u, "password"), accepted_rate(t, "password")
        out.append(
            f"| {i} | {u['load'].split()[0]} / {t['load'].split()[0]} | {fmt(tu)} | {fmt(tt)} |"
            f" {tt / tu if tu else float('nan'):.2f}x | {fmt(cpu_us(u), 1)} | {fmt(cpu_us(t), 1)} |"
            f" {fmt(t['report']['latency_ms']['p99'], 2)} |"
            f" {fmt(h['report']['throughput_per_s']) if h else '-'} | {fmt(cpu_us(h), 1) if h else '-'} |")
    if sides and tls:
        mu = statistics.median(accepted_rate(r, "password") for r in sides)
        mt = statistics.median(accepted_rate(r, "password") for r in tls)
        mh = statistics.median(r["report"]["throughput_per_s"] for r in shakes) if shakes else None
        out.append(
            f"| **median** | | **{fmt(mu)}** | **{fmt(mt)}** | **{mt / mu if mu else float('nan'):.2f}x** |"
            f" {fmt(statistics.median(cpu_us(r) for r in sides), 1)} | {fmt(statistics.median(cpu_us(r) for r in tls), 1)} |"
            f" {fmt(statistics.median(r['report']['latency_ms']['p99'] for r in tls), 2)} |"
            f" **{fmt(mh)}** | {fmt(statistics.median(cpu_us(r) for r in shakes), 1) if shakes else '-'} |")
    if idle:
        out.append("")
        out.append("| idle TLS connections | server RSS before | server RSS after | per connection |")
        out.append("|---|---|---|---|")
        out.append(f"| {idle.get('idle_connections', 0):,} | {idle.get('server_rss_kib_before', 0):,} KiB |"
                   f" {idle.get('server_rss_kib_after', 0):,} KiB | {fmt(idle.get('kib_per_connection'), 1)} KiB |")
    if len(out) == 2 and not idle:
        return "Not measured yet: `SECTIONS=tls bash bench/run.sh`."
    return "\n".join(out)


def eap_table(rows, held):
    """EAP-TTLS/PAP logins by eapol_test against both servers (alternating
    rounds), and the memory of conversations held mid-handshake."""
    sides = by_server(rows, "eap-ttls-pap")
    okta, fr = sides.get("okta-radius", []), sides.get("freeradius", [])

    def rate(row):
        r = row["report"]
        return r["accepted"] / r["seconds"] if r["seconds"] else 0.0

    def cpu(row):
        r = row["report"]
        return r["server_cpu_s"] * 1e6 / r["logins"] if r["logins"] else float("nan")

    out = ["| round | load (1 min) | okta-radius logins/s | FreeRADIUS logins/s | ratio |"
           " okta-radius CPU µs/login | FreeRADIUS CPU µs/login | CPU ratio (FreeRADIUS / okta-radius) |"
           " okta-radius accepted / started | FreeRADIUS accepted / started |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for i, (a, b) in enumerate(zip(okta, fr), 1):
        ra, rb = rate(a), rate(b)
        out.append(f"| {i} | {a['load'].split()[0]} / {b['load'].split()[0]} | {fmt(ra)} | {fmt(rb)} |"
                   f" {ra / rb if rb else float('nan'):.2f}x | {fmt(cpu(a))} | {fmt(cpu(b))} |"
                   f" {cpu(b) / cpu(a) if cpu(a) else float('nan'):.2f}x |"
                   f" {a['report']['accepted']} / {a['report']['logins']} | {b['report']['accepted']} / {b['report']['logins']} |")
    if okta and fr:
        ma, mb = statistics.median(map(rate, okta)), statistics.median(map(rate, fr))
        ca, cb = statistics.median(map(cpu, okta)), statistics.median(map(cpu, fr))
        out.append(f"| **median** | | **{fmt(ma)}** | **{fmt(mb)}** | **{ma / mb if mb else float('nan'):.2f}x** |"
                   f" **{fmt(ca)}** | **{fmt(cb)}** | **{cb / ca if ca else float('nan'):.2f}x** | | |")
    if held:
        out.append("")
        out.append("| server | conversations held after its first TLS flight | RSS before | RSS after | per conversation |")
        out.append("|---|---|---|---|---|")
        for h in held:
            out.append(f"| {h['server']} | {h['held']:,} | {h['rss_kb_before']:,} KiB | {h['rss_kb_after']:,} KiB |"
                       f" {h['bytes_per_conversation']:,} bytes |")
    if len(out) == 2 and not held:
        return "Not measured yet: `SECTIONS=eap bash bench/run.sh`."
    return "\n".join(out)


def quantile(before, after, q):
    """The q-quantile of a Prometheus histogram's increase between two
    scrapes (cumulative buckets by upper bound), interpolated linearly
    within the bucket as histogram_quantile() does. Returns seconds."""
    bounds = sorted((float("inf") if le == "+Inf" else float(le), after[le] - before.get(le, 0.0))
                    for le in after)
    total = bounds[-1][1] if bounds else 0
    if not total:
        return float("nan")
    rank = q * total
    lower, below = 0.0, 0.0
    for upper, count in bounds:
        if count >= rank:
            if upper == float("inf"):
                return lower
            return lower + (upper - lower) * (rank - below) / (count - below) if count > below else upper
        lower, below = upper, count
    return lower


def own_table(rows, own):
    """okta-radius's own share of each login next to the whole login, per
    round, against the static stand-in."""
    out = ["| load | round | okta-radius achieved /s | whole login p50 ms | whole login p99 ms | own share p50 µs | own share p99 µs | FreeRADIUS achieved /s | FreeRADIUS whole login p99 ms |",
           "|---|---|---|---|---|---|---|---|---|"]
    for scenario, label in (("static-closed", "closed loop, 256 in flight"), ("static-5000", "5,000 /s offered")):
        sides = by_server(rows, scenario)
        shares = [r for r in own if r["scenario"] == scenario]
        for i, (a, b, share) in enumerate(zip(sides.get("okta-radius", []), sides.get("freeradius", []), shares), 1):
            ra, rb = a["report"], b["report"]
            out.append(
                f"| {label} | {i} | {fmt(accepted_rate(a, 'password'))} | {fmt(ra['latency_ms']['p50'], 2)} |"
                f" {fmt(ra['latency_ms']['p99'], 2)} | {fmt(quantile(share['before'], share['after'], 0.5) * 1e6, 0)} |"
                f" {fmt(quantile(share['before'], share['after'], 0.99) * 1e6, 0)} |"
                f" {fmt(accepted_rate(b, 'password'))} | {fmt(rb['latency_ms']['p99'], 2)} |")
    return "\n".join(out)


def redis_cpu(runs):
    """The median of Redis's own CPU per login over `runs`; none for a setup
    that does not use Redis (its idle Redis still ticks), or for rows
    written before the column existed."""
    cpu = [r["redis_cpu_us_per_login"] for r in runs
           if "redis_cpu_us_per_login" in r and r["redis_commands_per_login"] > 0]
    return fmt(statistics.median(cpu)) if cpu else "-"


def busy(runs):
    """The median share of its core each replica kept busy over `runs`;
    none for rows written before the column existed."""
    shares = [r["busy"] for r in runs if "busy" in r]
    return f"{statistics.median(shares) * 100:.0f}%" if shares else "-"


def fleet_table(rows):
    """bench/fleet.sh's rows: the load table (each setup's medians over its
    rounds, and what Redis adds per login as the median of the rounds'
    ratios), then the failover table."""
    median = statistics.median
    out = ["| setup | rounds | logins/s | p99 ms | server CPU µs/login (each round) | replica busy |"
           " Redis commands/login | Redis CPU µs/login | logins |",
           "|---|---|---|---|---|---|---|---|---|"]
    setups = {}
    for row in rows:
        if row["scenario"] == "load":
            setups.setdefault(row["setup"], []).append(row)
    for setup, runs in setups.items():
        cpu = [r["cpu_us_per_login"] for r in runs]
        out.append(f"| {setup} | {len(runs)} | {fmt(median([r['logins_per_s'] for r in runs]))} |"
                   f" {fmt(median([r['p99_ms'] for r in runs]), 1)} |"
                   f" {fmt(median(cpu))} ({', '.join(fmt(c) for c in cpu)}) |"
                   f" {busy(runs)} |"
                   f" {fmt(median([r['redis_commands_per_login'] for r in runs]), 1)} |"
                   f" {redis_cpu(runs)} |"
                   f" {int(median([r['logins'] for r in runs]))} |")
    # One replica without and with Redis, under the same load: the closed
    # loop, and each offered rate.
    pairs = [("1 replica, no Redis (password)", "1 replica, Redis (password)", "")]
    for setup in setups:
        if setup.startswith("1 replica, no Redis (password, "):
            load = setup[len("1 replica, no Redis (password, "):-1]
            pairs.append((setup, f"1 replica, Redis (password, {load})", f" at {load}"))
    for without, with_redis, load in pairs:
        alone, shared = setups.get(without, []), setups.get(with_redis, [])
        ratios = [b["cpu_us_per_login"] / a["cpu_us_per_login"] for a, b in zip(alone, shared)
                  if a["cpu_us_per_login"] > 0]
        if ratios:
            out += ["", f"Redis adds **{(median(ratios) - 1) * 100:+.0f}%** server CPU per password login{load}"
                    f" (median of {len(ratios)} rounds: {', '.join(f'{(r - 1) * 100:+.0f}%' for r in ratios)})."]
    failover = [row for row in rows if row["scenario"] == "failover"]
    if failover:
        out += ["", "| push logins, each request retransmitted 3 times | logins | outcomes | retransmits sent |"
                " Okta calls per login | /authn per login | pushes per login |",
                "|---|---|---|---|---|---|---|"]
        for row in failover:
            r = row["report"]
            okta = r.get("okta") or {}
            f = okta.get("flows", {}).get("push", {})
            done = r["completed"] or 1
            outcomes = ", ".join(f"{k.split(' ', 1)[1]} {v}" for k, v in sorted(r["outcomes"].items()))
            out.append(f"| {row['setup']} | {r['started']} | {outcomes} | {r['retransmits']} |"
                       f" {okta.get('calls_per_completed', 0):.2f} | {f.get('authn_calls', 0) / done:.2f} |"
                       f" {f.get('pushes_sent', 0) / done:.2f} |")
    return "\n".join(out)


def replace(text, name, body):
    pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.S)
    if not pattern.search(text):
        print(f"BENCHMARKS.md has no section {name}", file=sys.stderr)
        return text
    return pattern.sub(lambda m: m.group(1) + body.strip() + "\n" + m.group(2), text)


def main():
    if sys.argv[1] == "fleet":
        print(fleet_table(lines(sys.argv[2])))
        return
    results, doc, plot_dir = sys.argv[1:4]
    machine = {}
    if os.path.exists(os.path.join(results, "machine.json")):
        with open(os.path.join(results, "machine.json")) as f:
            machine = json.load(f)
    status = lines(os.path.join(results, "status.jsonl"))
    password = lines(os.path.join(results, "password.jsonl"))
    offered = lines(os.path.join(results, "offered.jsonl"))
    calls = lines(os.path.join(results, "calls.jsonl"))
    pushes = lines(os.path.join(results, "pushes.jsonl"))
    samples = lines(os.path.join(results, "pushes-rss.jsonl"))
    idle = {}
    for row in lines(os.path.join(results, "pushes-idle.json")):
        idle.update(row)
    tls = lines(os.path.join(results, "tls.jsonl"))
    accounting = lines(os.path.join(results, "accounting.jsonl"))
    eap = lines(os.path.join(results, "eap.jsonl"))
    eap_held = lines(os.path.join(results, "eap-held.jsonl"))
    static = lines(os.path.join(results, "static.jsonl"))
    static_own = lines(os.path.join(results, "static-own.jsonl"))
    allocations = ""
    if os.path.exists(os.path.join(results, "allocations.md")):
        with open(os.path.join(results, "allocations.md")) as f:
            allocations = f.read()
    allocations_fleet = ""
    if os.path.exists(os.path.join(results, "allocations-fleet.md")):
        with open(os.path.join(results, "allocations-fleet.md")) as f:
            allocations_fleet = f.read()
    tls_idle = {}
    for row in lines(os.path.join(results, "tls-idle.json")):
        tls_idle.update(row)

    sections = {
        "machine": machine_table(machine),
        "status": comparison(status, "status", "status", False),
        "password-0": comparison(password, "password-0ms", "password", True),
        "password-150": comparison(password, "password-150ms", "password", True),
        "offered": offered_table(offered),
        "calls": calls_table(calls + pushes),
        "pushes": pushes_table(pushes, idle, samples),
        "tls": tls_table(tls, tls_idle),
        "accounting": accounting_table(accounting),
        "eap": eap_table(eap, eap_held),
    }
    if static:
        sections["static"] = comparison(static, "static-closed", "password", True)
        sections["static-own"] = own_table(static, static_own)
    if allocations:
        sections["allocations"] = allocations
    fleet = lines(os.path.join(results, "fleet.jsonl"))
    if fleet:
        sections["fleet"] = fleet_table(fleet)
    if allocations_fleet:
        sections["allocations-fleet"] = allocations_fleet
    with open(doc) as f:
        text = f.read()
    for name, body in sections.items():
        text = replace(text, name, body)
    with open(doc, "w") as f:
        f.write(text)
    plots(offered, samples, plot_dir)
    for name, body in sections.items():
        print(f"\n### {name}\n{body}")


if __name__ == "__main__":
    main()
