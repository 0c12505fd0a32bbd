import { useEffect, useState } from "preact/hooks";
import { api, messageOf, type Business, type Summary } from "../lib/api";
import Chat from "./Chat";
import Importing from "./Importing";
import LenderFitTable from "./LenderFitTable";
import TrendChart from "./TrendChart";
import Notifications from "./Notifications";
import Onboarding from "./Onboarding";
import Plan from "./Plan";
import Reports from "./Reports";
import ScoreCard, { Breakdown } from "./ScoreCard";
import { LoadError, Loading } from "./States";
import WhatIf from "./WhatIf";

type View =
  | { kind: "checking" }
  | { kind: "error"; message: string }
  | { kind: "onboard" }
  | { kind: "importing" }
  | { kind: "scored"; summary: Summary };

/** One business: onboarding until it has data, progress while importing, then the dashboard. */
export default function Board({ business }: { business: Business }) {
  const [view, setView] = useState<View>({ kind: "checking" });

  async function check() {
    setView({ kind: "checking" });
    try {
      let summary = await api.summary(business.id);
      if (summary.score === null) {
        const sync = await api.sync(business.id);
        if (sync.first_score_ready) summary = await api.summary(business.id);
        if (summary.score === null) {
          setView({ kind: sync.state === "idle" ? "onboard" : "importing" });
          return;
        }
      }
      setView({ kind: "scored", summary });
    } catch (error) {
      setView({ kind: "error", message: messageOf(error) });
    }
  }

  useEffect(() => {
    check();
  }, [business.id]);

  switch (view.kind) {
    case "checking":
      return <Loading what={business.name} />;
    case "error":
      return <LoadError title="This business could not load" message={view.message} retry={check} />;
    case "onboard":
      return (
        <Onboarding
          business={business}
          first={false}
          onBusiness={() => undefined}
          onImport={() => setView({ kind: "importing" })}
        />
      );
    case "importing":
      return <Importing businessId={business.id} onReady={check} />;
    case "scored":
      return <Scored business={business} summary={view.summary} />;
  }
}

function Scored({ business, summary }: { business: Business; summary: Summary }) {
  const sync = summary.sync;
  return (
    <div class="board">
      <ScoreCard summary={summary} />
      <Plan business={business} />
      <Chat business={business} />
      <WhatIf business={business} summary={summary} />
      <LenderFitTable businessId={business.id} />
      <TrendChart businessId={business.id} />
      <Notifications business={business} />
      <Breakdown summary={summary} />
      <Reports business={business} />
      {sync.backfill === "running" && (
        <p class="notice">
          Older months are still importing ({sync.months_imported} so far); the score is updated as
          they arrive.
        </p>
      )}
    </div>
  );
}
