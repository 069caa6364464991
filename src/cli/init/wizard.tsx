/**
 * The interactive half of `smartnode init`: Ink prompts for what settings.json cannot tell
 * (the RPC password, asked without echo and checked against the daemon at once), the download
 * directory (proposals first), the budget, the feeds, and for Academic Torrents feeds the
 * volunteer's API key (asked without echo, checked for shape). It only gathers answers; the
 * caller writes the files. Every IO it needs arrives as a prop.
 */
import { Spinner } from '@inkjs/ui';
import { Box, Text } from 'ink';
import { useState } from 'react';
import { parseSize } from '../../policy/index.js';
import type { ConnectionCheck, DirProposal } from '../../setup/index.js';
import { AT_FEEDS, checkAtApiKey, isAcademicTorrentsUrl, SCIOP_FEEDS, type FeedChoice } from '../../setup/index.js';
import { FeedPicker, type FeedSection } from './feed-picker.js';
import { ChoiceList, Confirm, LineInput } from './inputs.js';

export interface WizardAnswers {
  /** The password typed (undefined when none was asked). */
  readonly password: string | undefined;
  readonly downloadDir: string;
  readonly maxSize: string;
  readonly feeds: readonly FeedChoice[];
  /** The Academic Torrents API key typed (undefined: none asked, or skipped). */
  readonly atApiKey: string | undefined;
}

export interface WizardProps {
  readonly rpcUrl: string;
  readonly username: string | undefined;
  /** True when the daemon wants a password and none came from a flag. */
  readonly askPassword: boolean;
  readonly proposals: readonly DirProposal[];
  readonly suggestMaxSize: (dir: DirProposal | undefined) => string;
  readonly policyPath: string;
  /** Feeds given with --feed: listed and selected from the start. */
  readonly initialFeeds: readonly FeedChoice[];
  /** False when the key comes from a variable (--at-key-env): not asked. */
  readonly askAtKey: boolean;
  readonly check: (password: string | undefined) => Promise<ConnectionCheck>;
  readonly onDone: (answers: WizardAnswers | undefined) => void;
}

type Step = 'password' | 'checking' | 'dir' | 'custom-dir' | 'size' | 'feeds' | 'at-key' | 'confirm';

/** Academic Torrents first: its volunteers are the first users, and nothing is selected for them. */
const FEED_SECTIONS: readonly FeedSection[] = [
  {
    title: 'Academic Torrents (a built-in snapshot of well-known feeds; type any collection name for another):',
    feeds: AT_FEEDS,
  },
  { title: 'SciOp (need-based RSS):', feeds: SCIOP_FEEDS },
];
const OTHER = '\u0000other';

export function InitWizard(props: WizardProps) {
  const [step, setStep] = useState<Step>(props.askPassword ? 'password' : 'dir');
  const [password, setPassword] = useState<string | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  // A new key per attempt: a refused password must not stay in the field.
  const [attempt, setAttempt] = useState(0);
  const [daemonLine, setDaemonLine] = useState<string | undefined>(undefined);
  const [dir, setDir] = useState<string>(props.proposals[0]?.path ?? '/srv/smartnode');
  const [maxSize, setMaxSize] = useState<string>('');
  const [feeds, setFeeds] = useState<readonly FeedChoice[]>([]);
  const [atApiKey, setAtApiKey] = useState<string | undefined>(undefined);

  const submitPassword = (value: string): void => {
    setStep('checking');
    props.check(value).then(
      (result) => {
        if (result.ok) {
          setPassword(value);
          setProblem(undefined);
          setDaemonLine(`connected: Transmission ${result.version.version}, RPC ${result.version.rpcVersion}`);
          setStep('dir');
        } else {
          setProblem(`${result.error.message}${result.error.hint === undefined ? '' : ` (${result.error.hint})`}`);
          // Locked out (4.x anti-brute-force): another guess cannot get in and only counts against
          // the daemon; stop asking.
          if (result.error.code === 'DAEMON_LOCKED_OUT') {
            props.onDone(undefined);
            return;
          }
          setAttempt((n) => n + 1);
          setStep('password');
        }
      },
      (error: unknown) => {
        setProblem(String(error));
        setAttempt((n) => n + 1);
        setStep('password');
      },
    );
  };

  const chooseDir = (path: string): void => {
    setDir(path);
    setMaxSize(props.suggestMaxSize(props.proposals.find((p) => p.path === path)));
    setStep('size');
  };

  return (
    <Box flexDirection="column">
      <Text bold>
        smartnode init: daemon at {props.rpcUrl}
        {props.username === undefined ? '' : ` as ${props.username}`}
      </Text>
      {daemonLine !== undefined && <Text color="green">{daemonLine}</Text>}
      {problem !== undefined && <Text color="red">{problem}</Text>}
      {step === 'password' && (
        <Box flexDirection="column">
          <LineInput
            key={attempt}
            label={`RPC password for ${props.username ?? 'the daemon'} (the one set as rpc-password before the daemon hashed it; not shown):`}
            mask
            onSubmit={submitPassword}
          />
        </Box>
      )}
      {step === 'checking' && <Spinner label="checking the password with the daemon" />}
      {step === 'dir' && (
        <Box flexDirection="column">
          <ChoiceList
            label="Download directory (best first):"
            options={[
              ...props.proposals.map((p) => ({ label: `${p.path}  (${p.note})`, value: p.path })),
              { label: 'another directory...', value: OTHER },
            ]}
            onChange={(value) => (value === OTHER ? setStep('custom-dir') : chooseDir(value))}
          />
        </Box>
      )}
      {step === 'custom-dir' && (
        <Box flexDirection="column">
          <LineInput
            label="Absolute path of the download directory:"
            placeholder="/srv/smartnode"
            onSubmit={(value) =>
              value.startsWith('/') ? chooseDir(value.trim()) : setProblem(`expected an absolute path, got ${JSON.stringify(value)}`)
            }
          />
        </Box>
      )}
      {step === 'size' && (
        <Box flexDirection="column">
          <LineInput
            label={`Disk budget for ${dir} (e.g. "500 GB"; Enter keeps ${maxSize}):`}
            placeholder={maxSize}
            onSubmit={(value) => {
              const text = value.trim() === '' ? maxSize : value.trim();
              const parsed = parseSize(text);
              if (!parsed.ok) {
                setProblem(parsed.error);
                return;
              }
              setProblem(undefined);
              setMaxSize(text);
              setStep('feeds');
            }}
          />
        </Box>
      )}
      {step === 'feeds' && (
        <FeedPicker
          sections={FEED_SECTIONS}
          initial={props.initialFeeds}
          onSubmit={(picked) => {
            setProblem(undefined);
            setFeeds(picked);
            setStep(props.askAtKey && picked.some((f) => isAcademicTorrentsUrl(f.url)) ? 'at-key' : 'confirm');
          }}
        />
      )}
      {step === 'at-key' && (
        <LineInput
          key={attempt}
          label={
            'Academic Torrents API key, for the "hosted by" credit on what you mirror ' +
            '(uid=NUMBER;pass=HEX from your account; not shown; Enter to skip):'
          }
          mask
          onSubmit={(value) => {
            const key = value.trim();
            const wrong = key === '' ? undefined : checkAtApiKey(key);
            if (wrong !== undefined) {
              setProblem(wrong);
              setAttempt((n) => n + 1);
              return;
            }
            setProblem(undefined);
            setAtApiKey(key === '' ? undefined : key);
            setStep('confirm');
          }}
        />
      )}
      {step === 'confirm' && (
        <Box flexDirection="column">
          <Confirm
            label={
              `Write ${props.policyPath}: ${dir}, up to ${maxSize}, feeds ${feeds.map((f) => f.id).join(', ')}` +
              (atApiKey === undefined ? '' : ', with your Academic Torrents API key (kept out of the policy)') +
              '?'
            }
            onConfirm={() => props.onDone({ password, downloadDir: dir, maxSize, feeds, atApiKey })}
            onCancel={() => props.onDone(undefined)}
          />
        </Box>
      )}
    </Box>
  );
}
