#!/usr/bin/env python3
"""Generate a synthetic gwctl config repository for benchmarking.

usage: gen_config.py N OUTDIR [--seed S]

Writes OUTDIR/gwctl.yaml, base/*.yaml (routes split over base/routes-NNN.yaml, at most
1,000 routes per file), envs/{dev,staging,prod}.yaml, flags/f1..f5.yaml and tests/ (one route
test per route for gwctl test, split like the routes). Entity counts grow with N:

  providers = max(4, N/100)   models = max(8, N/20)   consumers = max(4, N/50)

The output is deterministic for a given N and seed, uses only schema v1 fields (no unknown
keys, durations as strings) and every reference names an existing entity. Fallback chains
only point at higher-numbered aliases, so they never cycle. Standard library only.
"""

import argparse
import os
import random
import shutil
import sys

ROUTES_PER_FILE = 1000
PROVIDER_KINDS = ["openai", "azure-openai", "anthropic", "openai-compatible"]
ENVIRONMENTS = ["dev", "staging", "prod"]
FLAGS = ["f1", "f2", "f3", "f4", "f5"]
# Upstream ids are dated (pinned) so the corpus does not trip "model unpinned" rules.
UPSTREAM_IDS = {
    "openai": ["gpt-4o-2024-11-20", "gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14"],
    "azure-openai": ["gpt-4o-2024-11-20", "gpt-4o-mini-2024-07-18"],
    "anthropic": ["claude-3-5-sonnet-20241022", "claude-3-5-haiku-20241022"],
    "openai-compatible": ["llama-3.1-70b-instruct-2024-07-23", "mistral-large-2411"],
}


def counts(n):
    return {
        "providers": max(4, n // 100),
        "models": max(8, n // 20),
        "consumers": max(4, n // 50),
    }


def provider_name(i):
    return f"p{i}"


def model_name(j):
    return f"m{j}"


def route_name(i):
    return f"r{i}"


def consumer_name(k):
    return f"c{k}"


def flow(items):
    return "[" + ", ".join(str(x) for x in items) + "]"


class Corpus:
    """All generated entities, decided up front so overlays can refer to them."""

    def __init__(self, n, seed):
        self.n = n
        self.rng = random.Random(seed * 1_000_003 + n)
        c = counts(n)
        self.n_providers = c["providers"]
        self.n_models = c["models"]
        self.n_consumers = c["consumers"]
        self.providers = [self._provider(i) for i in range(self.n_providers)]
        self.models = [self._model(j) for j in range(self.n_models)]
        self.routes = [self._route(i) for i in range(n)]
        self.consumers = [self._consumer(k) for k in range(self.n_consumers)]

    def _provider(self, i):
        kind = PROVIDER_KINDS[i % len(PROVIDER_KINDS)]
        p = {"name": provider_name(i), "kind": kind, "secret": f"P_{i}_KEY"}
        if kind == "openai":
            p["base_url"] = f"https://api{i}.openai.example.com/v1"
        elif kind == "azure-openai":
            p["base_url"] = f"https://bench-{i}.openai.azure.com"
            p["api_version"] = "2024-10-21"
        elif kind == "anthropic":
            p["base_url"] = f"https://api{i}.anthropic.example.com"
            p["api_version"] = "2023-06-01"
        else:
            p["base_url"] = f"https://llm{i}.internal.example.com/v1"
        p["connect"] = self.rng.choice(["2s", "3s", "5s"])
        p["max_connections"] = self.rng.choice([128, 256, 512])
        return p

    def _model(self, j):
        rng = self.rng
        n_dep = rng.randint(1, min(3, self.n_providers))
        first = rng.randrange(self.n_providers)
        # Distinct providers: consecutive indices modulo the provider count.
        provs = [(first + k) % self.n_providers for k in range(n_dep)]
        deps = []
        for pi in provs:
            kind = PROVIDER_KINDS[pi % len(PROVIDER_KINDS)]
            deps.append({
                "provider": provider_name(pi),
                "id": rng.choice(UPSTREAM_IDS[kind]),
                "weight": rng.choice([1, 5, 10, 20, 50, 90, 95, 100]),
            })
        m = {"name": model_name(j), "deployments": deps}
        # Some single-deployment models use the provider+id shorthand.
        m["shorthand"] = n_dep == 1 and j % 2 == 0
        m["version"] = f"{model_name(j)}/2024-11-20/v{1 + j % 3}"
        price_in = rng.choice([0.15, 0.5, 1.25, 2.5, 3.0])
        m["pricing"] = (price_in, round(price_in * rng.choice([2, 4, 5]), 4))
        m["context_window"] = rng.choice([32000, 128000, 200000])
        # Fallback to the next alias inside groups of four: chains of length <= 3, no cycles.
        m["fallbacks"] = [model_name(j + 1)] if (j % 4 != 3 and j + 1 < self.n_models) else []
        return m

    def _route(self, i):
        rng = self.rng
        a = rng.randrange(self.n_models)
        b = (a + 1 + rng.randrange(self.n_models - 1)) % self.n_models
        retries = rng.choice([1, 2])
        return {
            "name": route_name(i),
            "models": [model_name(a), model_name(b)],
            "retries": retries,
            # Room for the retries of the default model and of up to two fallbacks (f3 adds
            # one), so that every fallback can run (gwctl lint GW505).
            "max_attempts": 3 * (retries + 1) + rng.choice([0, 1]),
            "requests": rng.choice([60, 120, 300, 600, 1200]),
            "tokens": rng.choice([50000, 100000, 200000, 500000]),
            "usd": rng.choice([10, 25, 50, 100, 250, 500]),
            "description": i % 10 == 0,
        }

    def _consumer(self, k):
        rng = self.rng
        picked = sorted(rng.sample(range(self.n), min(3, self.n)))
        routes = [self.routes[i] for i in picked]
        models = []
        for r in routes:
            for m in r["models"]:
                if m not in models:
                    models.append(m)
        return {
            "name": consumer_name(k),
            "secret": f"C_{k}_KEY",
            "routes": [r["name"] for r in routes],
            "models": models,
            "requests": rng.choice([30, 60, 100]),
            "tokens": rng.choice([20000, 50000, 100000]),
            "usd": rng.choice([5, 10, 20, 50]),
        }


# ---------------------------------------------------------------------------------------
# Emitters: block-style YAML written by hand (flow style only for short scalar lists).


def emit_project():
    return (
        "# gwctl project file (generated by bench/gen_config.py)\n"
        "environments:\n" + "".join(f"  - {e}\n" for e in ENVIRONMENTS)
        + "flags:\n" + "".join(f"  - {f}\n" for f in FLAGS)
    )


def emit_gateway(c):
    out = [
        "# generated by bench/gen_config.py",
        "version: 1",
        "vars:",
        "  region: us-east-1",
        "  team: platform",
        "gateway:",
        f"  name: bench-{c.n}",
        "  description: synthetic benchmark gateway in ${var:region}, ${var:team} team",
        "  listen: 0.0.0.0:8080",
        "  admin:",
        "    listen: 127.0.0.1:9901",
        '    api_keys: ["${secret:ADMIN_KEY}"]',
        "  replicas: 2",
        "  limits:",
        "    max_request_bytes: 1MiB",
        "    header_timeout: 10s",
        "    idle_timeout: 60s",
        "  rate_limit_store: redis://ratelimit.internal:6379",
        "providers:",
    ]
    for p in c.providers:
        out += [
            f"  {p['name']}:",
            f"    kind: {p['kind']}",
            f"    base_url: {p['base_url']}",
            f"    api_key: ${{secret:{p['secret']}}}",
        ]
        if "api_version" in p:
            out.append(f'    api_version: "{p["api_version"]}"')
        out += [
            f"    description: {p['kind']} provider {p['name']} owned by ${{var:team}}",
            "    tls:",
            "      verify: true",
            "    timeouts:",
            f"      connect: {p['connect']}",
            f"    max_connections: {p['max_connections']}",
        ]
    return "\n".join(out) + "\n"


def emit_models(c):
    out = ["# generated by bench/gen_config.py", "models:"]
    for m in c.models:
        out.append(f"  {m['name']}:")
        if m["shorthand"]:
            d = m["deployments"][0]
            out += [f"    provider: {d['provider']}", f"    id: {d['id']}"]
        else:
            out.append("    deployments:")
            for d in m["deployments"]:
                out += [
                    f"      - provider: {d['provider']}",
                    f"        id: {d['id']}",
                    f"        weight: {d['weight']}",
                ]
        out += [
            f"    version: {m['version']}",
            "    floating: false",
            "    pricing:",
            f"      input_per_mtok: {m['pricing'][0]}",
            f"      output_per_mtok: {m['pricing'][1]}",
            f"    context_window: {m['context_window']}",
        ]
        if m["fallbacks"]:
            out.append(f"    fallbacks: {flow(m['fallbacks'])}")
    return "\n".join(out) + "\n"


def emit_route(r):
    out = [f"  - name: {r['name']}"]
    if r["description"]:
        out.append(f"    description: synthetic route {r['name']}")
    out += [
        "    match:",
        f"      path: /v1/{r['name']}/chat",
        "      methods: [POST]",
        "    auth:",
        "      type: api_key",
        f"    models: {flow(r['models'])}",
        f"    default_model: {r['models'][0]}",
        "    resilience:",
        f"      retries: {r['retries']}",
        f"      max_attempts: {r['max_attempts']}",
        "      retry_on: [429, 502, 503]",
        "    timeouts:",
        "      total: 60s",
        "      first_byte: 6s",
        "      idle: 30s",
        "    limits:",
        f"      - requests: {r['requests']}",
        "        per: 1m",
        f"      - tokens: {r['tokens']}",
        "        per: 1m",
        "    budget:",
        f"      usd: {r['usd']}",
        "      per: 1d",
    ]
    return out


def emit_routes(routes):
    out = ["# generated by bench/gen_config.py", "routes:"]
    for r in routes:
        out += emit_route(r)
    return "\n".join(out) + "\n"


def emit_consumers(c):
    out = ["# generated by bench/gen_config.py", "consumers:"]
    for k in c.consumers:
        out += [
            f"  - name: {k['name']}",
            f'    api_keys: ["${{secret:{k["secret"]}}}"]',
            f"    routes: {flow(k['routes'])}",
            f"    models: {flow(k['models'])}",
            "    limits:",
            f"      - requests: {k['requests']}",
            "        per: 1m",
            f"      - tokens: {k['tokens']}",
            "        per: 1m",
            "    budget:",
            f"      usd: {k['usd']}",
            "      per: 1d",
        ]
    return "\n".join(out) + "\n"


ENV_SETTINGS = {
    # Only values parity lets differ (listen, replicas, one base_url, route limits), so
    # lint sees no parity drift. env: (listen, replicas, flags turned on, limit multiplier)
    "dev": ("127.0.0.1:8080", 1, ["f1", "f2", "f3"], 10),
    "staging": ("0.0.0.0:8080", 2, ["f1", "f2"], 2),
    "prod": ("0.0.0.0:443", 6, ["f1"], 1),
}


def spread(n, count, offset):
    """`count` distinct indices in [0, n), evenly spread, shifted by `offset`."""
    count = max(1, min(n, count))
    step = n / count
    return sorted({(int(k * step) + offset) % n for k in range(count)})


def emit_env(c, env, env_index):
    listen, replicas, flags, mult = ENV_SETTINGS[env]
    p = c.providers[env_index % len(c.providers)]
    out = [
        f"# {env} overlay (generated by bench/gen_config.py)",
        "flags:",
    ]
    out += [f"  {f}: true" for f in flags]
    out += [
        "gateway:",
        f"  listen: {listen}",
        f"  replicas: {replicas}",
        "providers:",
        f"  {p['name']}:",
        f"    base_url: https://{env}-{p['name']}.gateway.example.com/v1",
        "routes:",
    ]
    few = max(3, c.n // 500)
    for i in spread(c.n, few, 3 + env_index):
        r = c.routes[i]
        out += [
            f"  - name: {r['name']}",
            "    limits:",
            f"      - requests: {r['requests'] * mult + 1}",
            "        per: 1m",
            f"      - tokens: {r['tokens'] * mult}",
            "        per: 1m",
        ]
    return "\n".join(out) + "\n"


def emit_flag(c, flag_index):
    """Each flag overlay touches about 1% of the routes in a different way."""
    touched = spread(c.n, max(1, c.n // 100), 11 * flag_index + 1)
    out = [f"# flag {FLAGS[flag_index]} (generated by bench/gen_config.py)"]
    if flag_index == 2:
        # f3: add a fallback to some models (always to a higher alias: no cycles).
        out.append("models:")
        for j in spread(c.n_models, max(1, c.n_models // 100), 0):
            m = c.models[j]
            extra = [model_name(t) for t in (j + 2, j + 3) if t < c.n_models]
            fb = [x for x in m["fallbacks"] + extra[:1] if x]
            if fb:
                out += [f"  {m['name']}:", f"    fallbacks: {flow(fb)}"]
    out.append("routes:")
    for i in touched:
        r = c.routes[i]
        out.append(f"  - name: {r['name']}")
        if flag_index == 0:  # f1: more retries
            out += ["    resilience:", "      retries: 3", "      max_attempts: 12"]
        elif flag_index == 1:  # f2: tighter timeouts
            out += ["    timeouts:", "      total: 30s", "      first_byte: 3s"]
        elif flag_index == 2:  # f3: retry on gateway timeouts too
            out += ["    resilience:", "      retry_on: [429, 502, 503, 504, timeout]"]
        elif flag_index == 3:  # f4: response cache
            out += ["    cache:", "      ttl: 5m", "      scope: consumer"]
        else:  # f5: offer a third model
            t = int(r["models"][1][1:])
            third = next(model_name((t + d) % c.n_models) for d in range(1, c.n_models)
                         if model_name((t + d) % c.n_models) not in r["models"])
            models = r["models"] + [third]
            out.append(f"    models: {flow(models)}")
    return "\n".join(out) + "\n"


def emit_tests(c, routes):
    """One test per route: a consumer allowed on it is served (200, its default model); a
    route no consumer may use refuses a request without a key (401)."""
    owner = {}
    for k in c.consumers:
        for name in k["routes"]:
            owner.setdefault(name, k["name"])
    out = ["# generated by bench/gen_config.py", "tests:"]
    for r in routes:
        name = r["name"]
        path = f"/v1/{name}/chat"
        if name in owner:
            out += [
                f"  - name: {owner[name]} reaches {name}",
                f"    request: {{path: {path}, consumer: {owner[name]}}}",
                f"    expect: {{route: {name}, status: 200, consumer: {owner[name]}, model: {r['models'][0]}}}",
            ]
        else:
            out += [
                f"  - name: {name} needs a key",
                f"    request: {{path: {path}}}",
                f"    expect: {{route: {name}, status: 401, error: unauthorized}}",
            ]
    return "\n".join(out) + "\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main(argv):
    ap = argparse.ArgumentParser(description="generate a synthetic gwctl config repository")
    ap.add_argument("n", type=int, help="number of routes (>= 1)")
    ap.add_argument("outdir", help="output directory (created; its base/envs/flags are replaced)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("N must be >= 1")

    out = args.outdir
    if os.path.isdir(out) and os.listdir(out) and not os.path.exists(os.path.join(out, "gwctl.yaml")):
        print(f"gen_config: refusing to write into non-empty '{out}' (no gwctl.yaml there)",
              file=sys.stderr)
        return 2
    for sub in ("base", "envs", "flags", "tests"):
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)

    c = Corpus(args.n, args.seed)
    write(os.path.join(out, "gwctl.yaml"), emit_project())
    write(os.path.join(out, "base", "gateway.yaml"), emit_gateway(c))
    write(os.path.join(out, "base", "models.yaml"), emit_models(c))
    write(os.path.join(out, "base", "consumers.yaml"), emit_consumers(c))
    for f, start in enumerate(range(0, c.n, ROUTES_PER_FILE)):
        write(os.path.join(out, "base", f"routes-{f:03d}.yaml"),
              emit_routes(c.routes[start:start + ROUTES_PER_FILE]))
        write(os.path.join(out, "tests", f"routes-{f:03d}.yaml"),
              emit_tests(c, c.routes[start:start + ROUTES_PER_FILE]))
    for e, env in enumerate(ENVIRONMENTS):
        write(os.path.join(out, "envs", f"{env}.yaml"), emit_env(c, env, e))
    for f in range(len(FLAGS)):
        write(os.path.join(out, "flags", f"{FLAGS[f]}.yaml"), emit_flag(c, f))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
