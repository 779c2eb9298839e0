import { useState } from 'preact/hooks';
import { ApiError, type Job } from '../api/client.ts';
import { ErrorNotice, FieldError, invalidProps } from '../components.tsx';
import { useApi } from '../hooks.ts';
import { type FieldErrors, fieldErrorsFromApi, fieldsFor, type FormValues, formFromPin, validateRequeue } from '../pin-form.ts';

/**
 * Requeue a failed job with corrected pin fields. The page checks the merged pin with the API's own schema
 * before sending, and shows the API's 400 details the same way: next to the field, tied by aria-describedby.
 */
export function RequeueForm({ job, onRequeued }: { job: Job; onRequeued: (job: Job) => void }) {
  const api = useApi();
  const [values, setValues] = useState<FormValues>(() => formFromPin(job.pin));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fields = fieldsFor(job.pin);

  const focusFirstInvalid = (found: FieldErrors) => {
    const first = fields.find((f) => found[f.name]);
    if (first) document.getElementById(`requeue-${first.name}`)?.focus();
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setFailure(null);
    const checked = validateRequeue(job.pin, values);
    setErrors(checked.errors);
    if (!checked.valid) {
      focusFirstInvalid(checked.errors);
      return;
    }
    setBusy(true);
    try {
      const body = Object.keys(checked.corrections).length > 0 ? { pin: checked.corrections } : {};
      onRequeued(await api.call(api.client.POST('/v1/jobs/{job_id}/requeue', { params: { path: { job_id: job.id } }, body })));
    } catch (e) {
      if (e instanceof ApiError && e.status === 400 && e.details.length > 0) {
        const fromApi = fieldErrorsFromApi(e.details);
        setErrors(fromApi);
        focusFirstInvalid(fromApi);
      } else setFailure(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form id="requeue-form" class="requeue" aria-labelledby="requeue-heading" onSubmit={submit} noValidate>
      <h2 id="requeue-heading">Requeue with corrected fields</h2>
      <p class="hint" id="requeue-hint">
        Prefilled from the job. Changed fields are merged into the pin and the whole pin is checked, as the API does; the job keeps its id
        and Idempotency-Key.
        {job.pin.media_source.source_type !== 'image_url' && ' This pin’s media is not an image URL, so it is sent unchanged.'}
      </p>
      {errors.form && (
        <ul role="alert" class="notice error">
          {errors.form.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
      {fields.map((field) => {
        const id = `requeue-${field.name}`;
        const props = {
          id,
          name: field.name,
          value: values[field.name] ?? '',
          onInput: (e: { currentTarget: { value: string } }) => setValues({ ...values, [field.name]: e.currentTarget.value }),
          ...invalidProps(id, errors[field.name]),
        };
        return (
          <div class="field" key={field.name}>
            <label for={id}>{field.label}</label>
            {field.multiline ? <textarea rows={3} {...props} /> : <input type="text" autoComplete="off" {...props} />}
            <FieldError id={id} messages={errors[field.name]} />
          </div>
        );
      })}
      <ErrorNotice error={failure} />
      <button type="submit" disabled={busy}>
        Requeue with these fields
      </button>
    </form>
  );
}
