import { useState } from 'preact/hooks';

/**
 * A form's submit: busy while the action runs, its error shown; on success busy stays on,
 * since the form is closed or replaced by what it did. `onError` may reword the error
 * (and reset fields) before it is shown.
 */
export function useFormAction(action: () => Promise<void>, onError: (err: unknown) => unknown = (err) => err) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(onError(err));
      setBusy(false);
    }
  };
  return { busy, error, setError, submit };
}
