/* verify.h: re-checks a public task announcement (SPEC §8 GET /api/public/tasks/{id}) against draw
 * algorithm v1 or v2 (SPEC §4, §12): commitments, witness commitments, seeds, candidate hashes and
 * every selection and inspector pick.
 * Uses draw.h and jansson. Used by `spotcheck verify` and by tests.
 *
 * THE ANNOUNCEMENT SHAPE THAT IS VERIFIED (hashes and secrets: 64 lowercase hex digits; upper case
 * is accepted on input). Fields not listed are ignored ("task" is not checked).
 *
 * {
 *   "draw": {
 *     "algorithm": "spotcheck-draw-v1" | "spotcheck-draw-v2",
 *     "secret": hex, "witness": "free text (may be empty)", "seed": hex, "commitment": hex,
 *     "witness_commitment": hex, "beacon_source": "…", "beacon": "…",   v2 only, all required:
 *                                                   SHA-256(witness), the non-empty name of the
 *                                                   public random value, its published value;
 *                                                   seed = SHA-256(secret || SHA-256(witness) ||
 *                                                   SHA-256(beacon))
 *     "candidates_hash": hex,                       H_c over all strata
 *     "attempts": 1,                                integer >= 1
 *     "redraws": [{"reason": "…"}, …],              required when attempts > 1: exactly attempts-1
 *                                                   entries, each with a non-empty "reason"
 *     "strata": [
 *       { "name": "key",
 *         "size": 120,                              optional; if present must equal len(candidates)
 *         "candidates_hash": hex,                   ADDED FIELD, optional but should be published:
 *                                                   SHA-256 of this stratum's "USCC\n" list; it
 *                                                   names the stratum whose list was changed
 *         "candidates": ["USCC", …],                sorted by byte order, unique
 *         "selected": ["USCC", …] } ]               in draw order; n = len(selected)
 *   },
 *   "teams_draw": {                                 required when a team has method "random"
 *     "algorithm": "spotcheck-draw-v1",             optional; "spotcheck-draw-v2" adds the three
 *     "secret": hex, "witness": "…", "seed": hex, "commitment": hex },   v2 fields above
 *   "teams_pool": {                                 optional: the inspector pool committed at lock
 *     "hash": hex,                                  SHA-256 of "cert_no\n"… of inspectors
 *     "inspectors": [cert_no, …] },                 sorted by byte order, unique; every slot pool,
 *                                                   appointee and team member must be in it
 *   "teams": [                                      optional
 *     { "uscc": "USCC",                             must be a selected unit of "draw"
 *       "method": "random" | "appointed",
 *       "reason": "…",                              required (non-empty) for "appointed"
 *       "inspectors": [cert_no, …],                 the final team; required for "appointed",
 *                                                   optional for "random" (then it must hold the
 *                                                   same cert_nos as the slots' final picks)
 *       "leader": cert_no,                          must be on the final team
 *       "slots": [                                  required (non-empty) for "random"
 *         { "slot": 0,                              slot number used in the stream prefix, unique
 *           "name": "expertise",                    optional label
 *           "pool": [cert_no, …],                   sorted by byte order, unique
 *           "pool_hash": hex,                       optional: H_i; if present must match
 *           "picks": [cert_no, …],                  the ORIGINAL draw, k = len(picks)
 *           "redraws": [                            optional, in the order they were made
 *             { "position": 0,                      index into the slot's current picks
 *               "removed": cert_no,                 who was at that position
 *               "replacement": cert_no,             must be redraw j's Fisher-Yates result
 *               "reason": "…" } ] } ] } ]           non-empty
 * }
 *
 * Which values are trusted as anchors: the selection is recomputed from SHA-256(secret || witness)
 * (not the announced seed, which is checked separately) and from the announced candidates_hash
 * (published at freeze together with the commitment; the recomputed H_c is compared to it
 * separately). So a changed candidate list fails the H_c check and, through per-stratum hashes,
 * order checks and the selection, is named by stratum, while the other strata still verify.
 */
#ifndef SPOT_VERIFY_H
#define SPOT_VERIFY_H

#include <stddef.h>
#include <jansson.h>

/* Verifies the announcement ann (borrowed). Returns 0 if everything verifies, 1 if something
 * differs, -1 if ann is malformed (a required field missing or of the wrong type, a hash that is
 * not 64 hex digits, …).
 * On 0 and 1, *report is a new reference (the caller decrefs it):
 *   {"ok": bool,
 *    "checks": [{"check": "commitment", "ok": true}, {"check": "selection", "stratum": 1,
 *                "name": "general_low", "ok": false}, {"check": "slot_picks", "uscc": "…",
 *                "slot": 0, "ok": true}, …],
 *    "errors": ["stratum 1 (\"general_low\"): selection differs at position 3: expected X,
 *                announced Y", …]}
 * and *err is NULL. On -1, *report is NULL and *err is a message the caller frees with free().
 * sodium_init() must have succeeded. */
int verify_announcement(json_t *ann, json_t **report, char **err);

/* Parses json_text (len bytes, UTF-8) and verifies it as verify_announcement does. A parse error
 * returns -1 with *err naming the line and column. */
int verify_text(const char *json_text, size_t len, json_t **report, char **err);

#endif
