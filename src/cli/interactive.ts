/**
 * Ink renders nothing but the last frame when it believes it runs in CI: its `is-in-ci`
 * dependency reads CI, CONTINUOUS_INTEGRATION and CI_* once, when Ink is first imported. The
 * dashboard, `run --dashboard`, the demo's dashboard and `init`'s prompts run only on a
 * terminal, where a person is watching: call this before Ink is imported (dynamically).
 */
export function forgetCiEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  for (const key of Object.keys(env)) {
    if (key === 'CI' || key === 'CONTINUOUS_INTEGRATION' || key.startsWith('CI_')) delete env[key];
  }
}
