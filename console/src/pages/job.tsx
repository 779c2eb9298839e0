import { useState } from 'preact/hooks';
import { ApiError, isCancellable, isRequeueable, isTerminal, type Job } from '../api/client.ts';
import { ErrorNotice, PageHeading } from '../components.tsx';
import { formatTime, formatWhen, humanise } from '../format.ts';
import { useApi, useNow, usePoll } from '../hooks.ts';
import { timelineOf } from '../timeline.ts';
import { RequeueForm } from './requeue-form.tsx';

const LIVE_MS = 2000;

/** One job as a story: what it is, what happened (timeline), how it ended (failure or pin), and what can be done. */
export function JobPage({ jobId }: { jobId: string }) {
  const api = useApi();
  const now = useNow();
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  // An action's confirmation, for the status it produced: once the job moves on (a requeued job succeeds),
  // the status and the timeline tell the story and the confirmation goes.
  const [notice, setNotice] = useState<{ readonly text: string; readonly status: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [requeueOpen, setRequeueOpen] = useState(false);
  const live = !job || !isTerminal(job.status);

  usePoll(
    async () => {
      try {
        setJob(await api.call(api.client.GET('/v1/jobs/{job_id}', { params: { path: { job_id: jobId } } })));
        setError(null);
      } catch (e) {
        if (!(e instanceof ApiError && e.refusedKey)) setError(e);
      }
    },
    LIVE_MS,
    live && !(error instanceof ApiError && error.status === 404),
    [jobId],
  );

  const cancel = async () => {
    setBusy(true);
    setActionError(null);
    try {
      setJob(await api.call(api.client.POST('/v1/jobs/{job_id}/cancel', { params: { path: { job_id: jobId } } })));
      setNotice({ text: 'Cancelled.', status: 'cancelled' });
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };

  const notFound = error instanceof ApiError && error.status === 404;
  return (
    <>
      <p class="breadcrumb">
        <a href="#/jobs">Back to the list</a>
      </p>
      <PageHeading>Job {jobId}</PageHeading>
      {notFound ? <p role="alert">This key's tenant has no job {jobId}.</p> : <ErrorNotice error={error} />}
      {job && (
        <>
          <p class="job-status">
            Status:{' '}
            <strong data-testid="job-status" class={`badge status-${job.status}`}>
              {job.status}
            </strong>
            {!isTerminal(job.status) && <span class="muted"> (refreshed every 2 s)</span>}
          </p>
          <p role="status" class="notice">
            {notice && notice.status === job.status ? notice.text : ''}
          </p>
          <ErrorNotice error={actionError} />
          {job.result && (
            <section aria-labelledby="result">
              <h2 id="result">Result</h2>
              <p>
                <a href={job.result.pin_url} target="_blank" rel="noopener noreferrer">
                  Open the pin on Pinterest
                </a>{' '}
                (pin {job.result.pin_id}
                {job.result.verified ? ', found on the board by verification' : ''})
              </p>
            </section>
          )}
          {job.failure && <FailureSection failure={job.failure} />}
          <div class="actions">
            {isCancellable(job.status) && (
              <button type="button" disabled={busy} onClick={cancel}>
                Cancel job
              </button>
            )}
            {isRequeueable(job.status) && (
              <button type="button" aria-expanded={requeueOpen} aria-controls="requeue-form" onClick={() => setRequeueOpen(!requeueOpen)}>
                {requeueOpen ? 'Close the form' : 'Requeue'}
              </button>
            )}
          </div>
          {requeueOpen && isRequeueable(job.status) && (
            <RequeueForm
              job={job}
              onRequeued={(next) => {
                setJob(next);
                setRequeueOpen(false);
                setNotice({ text: 'Requeued: the job is queued again with these fields.', status: next.status });
              }}
            />
          )}
          <JobDetails job={job} now={now} />
          <section aria-labelledby="timeline">
            <h2 id="timeline">Timeline</h2>
            <ol class="timeline" aria-label="Timeline">
              {timelineOf(job).map((entry) => (
                <li key={`${entry.kind}-${entry.at}-${entry.title}`} class={`timeline-${entry.kind}`}>
                  <time dateTime={entry.at}>{formatTime(entry.at)}</time> <strong>{entry.title}</strong>
                  {entry.lines.map((line) => (
                    <span key={line} class="line">
                      {line}
                    </span>
                  ))}
                </li>
              ))}
            </ol>
          </section>
        </>
      )}
    </>
  );
}

function FailureSection({ failure }: { failure: NonNullable<Job['failure']> }) {
  return (
    <section aria-labelledby="failure" class="failure">
      <h2 id="failure">Failure</h2>
      <p>Route: {failure.route}</p>
      <p>Reason: {failure.reason}</p>
      <p>{failure.message}</p>
      {(failure.http_status !== null || failure.error_code !== null) && (
        <p class="muted">
          {[
            failure.http_status === null ? null : `HTTP ${failure.http_status}`,
            failure.error_code === null ? null : `Pinterest code ${failure.error_code}`,
          ]
            .filter(Boolean)
            .join(', ')}
        </p>
      )}
      <p class="remediation">
        <strong>What to do:</strong> {failure.remediation}
      </p>
      {failure.candidate_pin_ids && failure.candidate_pin_ids.length > 0 && <p>Candidate pins: {failure.candidate_pin_ids.join(', ')}</p>}
    </section>
  );
}

function JobDetails({ job, now }: { job: Job; now: number }) {
  const source = job.pin.media_source;
  return (
    <section aria-labelledby="details">
      <h2 id="details">Details</h2>
      <dl class="details">
        <dt>Account</dt>
        <dd>{job.account_id}</dd>
        <dt>Idempotency key</dt>
        <dd>
          <code>{job.idempotency_key}</code>
        </dd>
        <dt>Attempts</dt>
        <dd>{job.attempt_count}</dd>
        {job.next_attempt_at && (
          <>
            <dt>Next attempt</dt>
            <dd>{formatWhen(job.next_attempt_at, now)}</dd>
          </>
        )}
        {job.publish_at && (
          <>
            <dt>Publish at</dt>
            <dd>{formatWhen(job.publish_at, now)}</dd>
          </>
        )}
        <dt>Created</dt>
        <dd>{formatWhen(job.created_at, now)}</dd>
        <dt>Updated</dt>
        <dd>{formatWhen(job.updated_at, now)}</dd>
        <dt>Board</dt>
        <dd>
          {job.pin.board_id}
          {job.pin.board_section_id ? ` (section ${job.pin.board_section_id})` : ''}
        </dd>
        {job.pin.title && (
          <>
            <dt>Title</dt>
            <dd>{job.pin.title}</dd>
          </>
        )}
        <dt>Media</dt>
        <dd>
          {humanise(source.source_type)}
          {source.source_type === 'image_url' ? `: ${source.url}` : ''}
        </dd>
        {job.pin.link && (
          <>
            <dt>Link</dt>
            <dd>{job.pin.link}</dd>
          </>
        )}
      </dl>
    </section>
  );
}
