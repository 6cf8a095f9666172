// examples/agent/answer.test.ts, the agent test docs/agent-tools.md shows, runs with the specs.
import '../examples/agent/answer.test'
