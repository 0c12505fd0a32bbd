/** The loading and failure states every part of the dashboard shows the same way. */

export function Loading({ what }: { what: string }) {
  return (
    <div aria-busy="true" aria-live="polite" class="loading-block">
      <p>Loading {what}…</p>
      <span class="skeleton skeleton-block" />
    </div>
  );
}

export function LoadError({
  title,
  message,
  retry,
}: {
  title: string;
  message: string;
  retry: () => void;
}) {
  return (
    <div class="card" role="alert">
      <h2>{title}</h2>
      <p>{message}</p>
      <button type="button" class="button" onClick={retry}>
        Try again
      </button>
    </div>
  );
}
