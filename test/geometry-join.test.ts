/**
 * joinGeometry splices the geometry's array texts into the stored result's `[]` placeholders
 * instead of parsing both texts and writing them again: the text must be the parsing
 * version's (joinGeometryParsed) byte for byte, on every fixture's real result (the
 * speed-parity snapshot) and on the shapes that take the parsing path (no face, landmarks
 * null, a region the result lacks, a placeholder that is not empty, keys with escapes).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { joinGeometry, joinGeometryParsed, splitGeometryOf } from '../src/service/geometry.ts';

const snapshot = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'data/speed-snapshot.json'), 'utf8')) as { results: Record<string, object> };

const same = (resultJson: string, geometryJson: string | null, what: string) =>
  assert.equal(joinGeometry(resultJson, geometryJson), joinGeometryParsed(resultJson, geometryJson), what);

describe('joinGeometry', () => {
  test("writes the parsing version's text for every fixture's real result", () => {
    const results = Object.entries(snapshot.results);
    assert.ok(results.filter(([, r]) => splitGeometryOf(structuredClone(r)).geometryJson).length >= 5);
    for (const [name, result] of results) {
      const text = JSON.stringify(result);
      const stored = splitGeometryOf(structuredClone(result));
      assert.equal(joinGeometry(stored.resultJson, stored.geometryJson), text, name);
      same(stored.resultJson, stored.geometryJson, name);
    }
  });

  test('the same text on shapes that are not the usual one', () => {
    const pts = [[0.5, 1e-7], [-0, 3]];
    const result = (face: unknown, regions: unknown) =>
      JSON.stringify({ id: 'a"b\\c', note: '"polygon":[]', face, regions, list: [{ landmarks: [] }, { polygon: [] }], n: 1.5, t: true, z: null });
    const geometry = (landmarks: unknown, polygons: unknown) => JSON.stringify({ landmarks, polygons });
    const regions = { forehead: { score: 0.3, polygon: [] }, 'cheek "left"\\x': { polygon: [], flags: ['x'] } };
    const cases: [string, string, string | null][] = [
      ['usual', result({ box: [1, 2], landmarks: [] }, regions), geometry(pts, { forehead: pts, 'cheek "left"\\x': [[1, 2]] })],
      ['empty arrays', result({ landmarks: [] }, regions), geometry([], { forehead: [] })],
      ['no face', result(null, regions), geometry(pts, { forehead: pts })],
      ['landmarks null', result({ landmarks: [] }, regions), geometry(null, { forehead: pts })],
      ['a region the result lacks', result({ landmarks: [] }, regions), geometry(pts, { chin: pts })],
      ['a region without its placeholder', result({ landmarks: [] }, { forehead: { score: 1 } }), geometry(pts, { forehead: pts })],
      ['a face without its placeholder', result({ box: [] }, regions), geometry(pts, {})],
      ['a placeholder not empty', result({ landmarks: [[9, 9]] }, regions), geometry(pts, { forehead: pts })],
      ['no regions', result({ landmarks: [] }, undefined), geometry(pts, { forehead: pts })],
      ['no geometry', result({ landmarks: [] }, regions), null],
    ];
    for (const [what, r, g] of cases) same(r, g, what);
    assert.notEqual(joinGeometry(cases[0]![1], cases[0]![2]), cases[0]![1]);
  });
});
