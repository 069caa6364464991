/**
 * The interactive half of `smartnode init`: Ink prompts for what settings.json cannot tell
 * (the RPC password, asked without echo and checked against the daemon at once), the download
 * directory (proposals first), the budget, and the feeds. It only gathers answers; the caller
 * writes the files. Every IO it needs arrives as a prop.
 */
import { ConfirmInput, MultiSelect, Select, Spinner } from '@inkjs/ui';
import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';
import { parseSize } from '../../policy/index.js';
import type { ConnectionCheck, DirProposal } from '../../setup/index.js';
import { feedFormatFromUrl, feedIdFromUrl, SUGGESTED_FEEDS, type FeedChoice } from '../../setup/index.js';

export interface WizardAnswers {
  /** The password typed (undefined when none was asked). */
  readonly password: string | undefined;
  readonly downloadDir: string;
  readonly maxSize: string;
  readonly feeds: readonly FeedChoice[];
}

export interface WizardProps {
  readonly rpcUrl: string;
  readonly username: string | undefined;
  /** True when the daemon wants a password and none came from a flag. */
  readonly askPassword: boolean;
  readonly proposals: readonly DirProposal[];
  readonly suggestMaxSize: (dir: DirProposal | undefined) => string;
  readonly policyPath: string;
  readonly check: (password: string | undefined) => Promise<ConnectionCheck>;
  readonly onDone: (answers: WizardAnswers | undefined) => void;
}

type Step = 'password' | 'checking' | 'dir' | 'custom-dir' | 'size' | 'feeds' | 'custom-feed' | 'confirm';
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
  const [feeds, setFeeds] = useState<FeedChoice[]>([]);

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
          <Text>
            RPC password for {props.username ?? 'the daemon'} (the one set as rpc-password before the daemon hashed it; not shown):
          </Text>
          <LineInput key={attempt} mask onSubmit={submitPassword} />
        </Box>
      )}
      {step === 'checking' && <Spinner label="checking the password with the daemon" />}
      {step === 'dir' && (
        <Box flexDirection="column">
          <Text>Download directory (best first):</Text>
          <Select
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
          <Text>Absolute path of the download directory:</Text>
          <LineInput
            placeholder="/srv/smartnode"
            onSubmit={(value) =>
              value.startsWith('/') ? chooseDir(value.trim()) : setProblem(`expected an absolute path, got ${JSON.stringify(value)}`)
            }
          />
        </Box>
      )}
      {step === 'size' && (
        <Box flexDirection="column">
          <Text>
            Disk budget for {dir} (e.g. "500 GB"; Enter keeps {maxSize}):
          </Text>
          <LineInput
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
        <Box flexDirection="column">
          <Text>Feeds to mirror from (space toggles, Enter confirms):</Text>
          <MultiSelect
            options={SUGGESTED_FEEDS.map((f) => ({ label: `${f.title}  ${f.url}`, value: f.id }))}
            defaultValue={[SUGGESTED_FEEDS[0]?.id ?? '']}
            onSubmit={(ids) => {
              setFeeds(SUGGESTED_FEEDS.filter((f) => ids.includes(f.id)));
              setStep('custom-feed');
            }}
          />
        </Box>
      )}
      {step === 'custom-feed' && (
        <Box flexDirection="column">
          <Text>Another feed URL (RSS, Academic Torrents CSV or JSON list; Enter for none):</Text>
          <LineInput
            onSubmit={(value) => {
              const url = value.trim();
              if (url !== '' && !URL.canParse(url)) {
                setProblem(`expected a URL, got ${JSON.stringify(url)}`);
                return;
              }
              const next =
                url === ''
                  ? feeds
                  : [
                      ...feeds,
                      { id: feedIdFromUrl(url, new Set(feeds.map((f) => f.id))), url, format: feedFormatFromUrl(url), title: url },
                    ];
              if (next.length === 0) {
                setProblem('pick at least one feed');
                setStep('feeds');
                return;
              }
              setProblem(undefined);
              setFeeds(next);
              setStep('confirm');
            }}
          />
        </Box>
      )}
      {step === 'confirm' && (
        <Box flexDirection="column">
          <Text>
            Write {props.policyPath}: {dir}, up to {maxSize}, feeds {feeds.map((f) => f.id).join(', ')}? (Y/n)
          </Text>
          <ConfirmInput
            onConfirm={() => props.onDone({ password, downloadDir: dir, maxSize, feeds })}
            onCancel={() => props.onDone(undefined)}
          />
        </Box>
      )}
    </Box>
  );
}

/**
 * One line of text, masked for passwords. The value lives in a ref the key handler updates at
 * once, so keys that arrive before React re-renders (a paste, a fast typist, a test) are never
 * lost and Enter submits exactly what was typed.
 */
function LineInput(props: { mask?: boolean; placeholder?: string; onSubmit: (value: string) => void }) {
  const value = useRef('');
  const [shown, setShown] = useState('');
  useInput((input, key) => {
    if (key.return) {
      props.onSubmit(value.current);
      return;
    }
    if (key.backspace || key.delete) value.current = value.current.slice(0, -1);
    else if (!key.ctrl && !key.meta && !key.upArrow && !key.downArrow && !key.tab) value.current += input;
    setShown(value.current);
  });
  const text = props.mask === true ? '*'.repeat(shown.length) : shown;
  return text === '' && props.placeholder !== undefined ? <Text dimColor>{props.placeholder}</Text> : <Text>{text}</Text>;
}
