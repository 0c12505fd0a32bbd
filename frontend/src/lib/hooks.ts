import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export type Load<T> =
  | { state: "loading" }
  | { state: "error"; error: unknown }
  | { state: "ready"; data: T };

/**
 * Runs `fn` when `deps` change and keeps its latest result. `reload` runs it again (keeping the
 * shown data while it runs); `set` replaces the data. Answers of a superseded run are dropped.
 */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]) {
  const [load, setLoad] = useState<Load<T>>({ state: "loading" });
  const run = useRef(0);

  const start = useCallback((keep: boolean) => {
    const id = ++run.current;
    if (!keep) setLoad({ state: "loading" });
    fn().then(
      (data) => id === run.current && setLoad({ state: "ready", data }),
      (error) => id === run.current && setLoad({ state: "error", error }),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  useEffect(() => {
    start(false);
    return () => {
      run.current++;
    };
  }, [start]);

  const reload = useCallback(() => start(true), [start]);
  const set = useCallback((data: T) => setLoad({ state: "ready", data }), []);
  return { load, reload, set };
}
