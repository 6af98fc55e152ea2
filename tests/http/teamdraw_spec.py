"""An independent re-implementation of SPEC §4's inspector team draw, written from the SPEC text
(it does not call or copy spotcheck's verify code): given a public announcement alone, it
recomputes the team commitment and seed, the committed pool's hash, every slot's pool hash H_i,
picks (partial Fisher-Yates over the slot stream) and redraws (the next unused stream positions),
and replays appointments, and returns a list of differences (empty when everything reproduces).

SPEC §4: seed_t = SHA-256(team_secret || witness) (v2, SPEC §12: SHA-256(team_secret ||
SHA-256(witness) || SHA-256(beacon))); H_i = SHA-256(concatenation of "cert_no\\n" of
the slot's pool); stream block j = SHA-256(seed_t || H_i || USCC || uint32_be(slot) || uint64_be(j)),
four big-endian uint64 per block; uniform(m) rejects x >= 2^64 - (2^64 mod m); for i in 0..n-1:
r = uniform(N - i), swap a[i], a[i + r]. A redraw continues the slot's shuffle (step k + j)."""
import hashlib
import struct


def sha(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def list_hash(items):
    return sha(*[x.encode() + b"\n" for x in items])


class Stream:
    def __init__(self, prefix):
        self.prefix, self.j, self.buf = prefix, 0, []

    def next64(self):
        if not self.buf:
            block = sha(self.prefix, struct.pack(">Q", self.j))
            self.j += 1
            self.buf = list(struct.unpack(">4Q", block))
        return self.buf.pop(0)

    def uniform(self, m):
        limit = 2 ** 64 - (2 ** 64 % m)
        while True:
            x = self.next64()
            if x < limit:
                return x % m


def shuffle_indices(prefix, N, n):
    a, st = list(range(N)), Stream(prefix)
    for i in range(n):
        r = st.uniform(N - i)
        a[i], a[i + r] = a[i + r], a[i]
    return a[:n]


def check_teams(ann):
    """Differences between the announcement's teams and SPEC §4 recomputed from it."""
    diffs = []
    td, tp = ann.get("teams_draw"), ann.get("teams_pool")
    if tp is None:
        return ["no teams_pool (the inspector pool committed at lock)"]
    committed = tp["inspectors"]
    if committed != sorted(committed, key=lambda c: c.encode()) or len(set(committed)) != len(committed):
        diffs.append("committed pool not sorted by byte order or not unique")
    if list_hash(committed).hex() != tp["hash"]:
        diffs.append("committed pool hash differs")
    if td is None:
        return diffs
    secret = bytes.fromhex(td["secret"])
    if sha(secret).hex() != td["commitment"]:
        diffs.append("team commitment differs")
    if td.get("algorithm") == "spotcheck-draw-v2":
        # SPEC §12 (the team draw "uses the v2 seed the same way"): the witness text hashes to the
        # commitment published at lock; seed_t = SHA-256(secret || SHA-256(witness) || SHA-256(beacon))
        if sha(td["witness"].encode()).hex() != td.get("witness_commitment"):
            diffs.append("team witness does not match its commitment")
        seed_t = sha(secret, sha(td["witness"].encode()), sha(td.get("beacon", "").encode()))
    else:
        seed_t = sha(secret, td["witness"].encode())
    if seed_t.hex() != td["seed"]:
        diffs.append("team seed differs")
    cset = set(committed)
    for team in ann.get("teams", []):
        uscc, members = team["uscc"], []
        for sl in team["slots"]:
            pool = sl["pool"]
            where = f"team {uscc} slot {sl['slot']}"
            if not set(pool) <= cset or not set(sl.get("appointed", [])) <= cset:
                diffs.append(f"{where}: someone outside the committed pool")
            hi = list_hash(pool)
            if hi.hex() != sl["pool_hash"]:
                diffs.append(f"{where}: H_i differs")
            if sl["method"] == "random":
                k, R = len(sl["picks"]), len(sl["redraws"])
                if k + R > len(pool):
                    diffs.append(f"{where}: more picks and redraws than the pool")
                    continue
                prefix = seed_t + hi + uscc.encode() + struct.pack(">I", sl["slot"])
                idx = shuffle_indices(prefix, len(pool), k + R)
                if sl["picks"] != [pool[i] for i in idx[:k]]:
                    diffs.append(f"{where}: picks differ")
                cur = list(sl["picks"])
                for j, rd in enumerate(sl["redraws"]):
                    if rd["replacement"] != pool[idx[k + j]]:
                        diffs.append(f"{where}: redraw {j} is not the next stream position")
                    if cur[rd["position"]] != rd["removed"]:
                        diffs.append(f"{where}: redraw {j} removes someone not at its position")
                    cur[rd["position"]] = rd["replacement"]
            else:
                cur = list(pool) + list(sl.get("appointed", []))
                if len(sl.get("redraws", [])):
                    diffs.append(f"{where}: redraws in an appointed slot")
            for j, ap in enumerate(sl.get("appointments", [])):
                if ap["removed"] is None:   # an open position filled by name (7.3), at the end
                    if ap["position"] != len(cur) or ap["replacement"] is None or ap["replacement"] not in cset:
                        diffs.append(f"{where}: appointment {j} does not fill the next open position from the pool")
                        continue
                    cur.append(ap["replacement"])
                    continue
                if ap["position"] >= len(cur) or cur[ap["position"]] != ap["removed"]:
                    diffs.append(f"{where}: appointment {j} removes someone not at its position")
                    continue
                if ap["replacement"] is None:
                    del cur[ap["position"]]
                else:
                    cur[ap["position"]] = ap["replacement"]
            members += cur
        if members != team["inspectors"]:
            diffs.append(f"team {uscc}: slots add up to {members}, team is {team['inspectors']}")
        if len(set(members)) != len(members):
            diffs.append(f"team {uscc}: someone twice")
        if team["leader"] not in members and not (not members and team["leader"] == "" and team["method"] == "appointed"):
            diffs.append(f"team {uscc}: leader not on the team")
    return diffs
