import { isNotParamError, lintCypherQuery } from '@neo4j-cypher/language-support';
import { describe, expect, it } from 'vitest';
import { allStatements, CYPHER } from '../../lib/stores/graph/cypher.js';

/**
 * No Neo4j server runs here, so every statement the Neo4j adapter can send is checked with Neo4j's own
 * parser and semantic analysis (the Cypher language server's linter). "Parameter $x is not defined"
 * is expected (no parameter values are given) and ignored; anything else fails the test.
 */
function cypherErrors(query: string): string[] {
  const { diagnostics } = lintCypherQuery(query, {});
  return diagnostics
    .map((d) => ({
      severity: d.severity,
      message: typeof d.message === 'string' ? d.message : d.message.value,
    }))
    .filter((d) => d.severity === 1 && isNotParamError(d))
    .map((d) => d.message);
}

const statements = allStatements();

describe('Cypher statements (Neo4j parser)', () => {
  it('happy: finds every statement, including each per-label and per-type variant', () => {
    expect(statements.length).toBe(Object.keys(CYPHER).length + CYPHER.setup.length + 4 + 5 - 3);
    expect(statements.map((s) => s.name)).toEqual(
      expect.arrayContaining(['mergeNodes.Concept', 'mergeEdges.REQUIRES', 'setup.0', 'pathLayer']),
    );
  });

  it.each(statements)('happy: $name parses without errors', ({ cypher }) => {
    expect(cypherErrors(cypher)).toEqual([]);
  });

  it('error: the check reports a broken statement (so it cannot pass vacuously)', () => {
    expect(cypherErrors('MATCH (n:Entity {uid: $uid} RETURN n')).not.toEqual([]);
    expect(cypherErrors('MATCH (n:Entity) RETURN m')).not.toEqual([]);
    expect(cypherErrors('UNWIND $rows AS row MERGE (n:Entity {uid: row.uid}) SET n.title =')).not.toEqual([]);
  });

  it('security: values reach Cypher only as parameters, never spliced into the text', () => {
    for (const { name, cypher } of statements) {
      // The only string literals are the fixed names the statements compare with.
      const literals = [...cypher.matchAll(/'([^']*)'/g)].map((m) => m[1]);
      for (const literal of literals) expect(['Entity', 'COVERS', '|'], name).toContain(literal);
    }
    expect(CYPHER.deleteNodes).toMatch(/\$uids/);
    expect(CYPHER.mergeNodes.Concept).toMatch(/UNWIND \$rows AS row\s+MERGE/);
  });
});
