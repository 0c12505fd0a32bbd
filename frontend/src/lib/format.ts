/** Formatting in the reader's locale. Money arrives as integer minor units beside a currency code;
 * ratios arrive as fractions (0.0123 is 1.23 %). */

const locale = (): string | undefined =>
  typeof navigator === "undefined" ? undefined : navigator.language;

const cache = new Map<string, Intl.NumberFormat>();

/** exact: every minor unit; whole: rounded to whole units (estimates); compact: "$12K". */
export type MoneyStyle = "exact" | "whole" | "compact";

function currencyFormat(currency: string, style: MoneyStyle): Intl.NumberFormat {
  const key = `${currency}|${style}`;
  let format = cache.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale(), {
      style: "currency",
      currency: currency.toUpperCase(),
      ...(style === "compact" ? { notation: "compact", maximumFractionDigits: 1 } : {}),
      ...(style === "whole" ? { minimumFractionDigits: 0, maximumFractionDigits: 0 } : {}),
    });
    cache.set(key, format);
  }
  return format;
}

/** The number of minor-unit digits of a currency: 2 for USD, 0 for JPY, 3 for KWD. */
export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency: currency.toUpperCase() })
      .resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** Minor units to the currency's major units (1250000 usd → 12500). */
export function toMajor(minor: number, currency: string): number {
  return minor / 10 ** minorDigits(currency);
}

/** 1250000, "usd" → "$12,500.00" (in the reader's locale). */
export function money(
  minor: number,
  currency: string | null | undefined,
  style: MoneyStyle = "exact",
): string {
  if (!currency) return number(minor);
  try {
    const major = toMajor(minor, currency);
    return currencyFormat(currency, style).format(major);
  } catch {
    return `${number(toMajor(minor, currency))} ${currency.toUpperCase()}`;
  }
}

export function number(value: number): string {
  return new Intl.NumberFormat(locale()).format(value);
}

/** 0.0123 → "1.23 %" in the reader's locale. */
export function percent(fraction: number, digits = 1): string {
  return new Intl.NumberFormat(locale(), {
    style: "percent",
    maximumFractionDigits: digits,
  }).format(fraction);
}

/** A calendar day "YYYY-MM-DD", read as that day wherever the reader is. */
export function day(isoDate: string, options: Intl.DateTimeFormatOptions = { dateStyle: "medium" }): string {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Intl.DateTimeFormat(locale(), { ...options, timeZone: "UTC" }).format(
    new Date(Date.UTC(y, (m ?? 1) - 1, d ?? 1)),
  );
}

export function month(isoDate: string): string {
  return day(isoDate, { month: "short", year: "numeric" });
}

/** An ISO 8601 instant, in the reader's time zone. */
export function dateTime(iso: string): string {
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(iso),
  );
}

/** "3 hours ago", "yesterday". */
export function ago(iso: string, now = Date.now()): string {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: "auto" });
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["year", 31536000],
    ["month", 2592000],
    ["week", 604800],
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return rtf.format(Math.round(seconds / size), unit);
  }
  return rtf.format(Math.round(seconds), "second");
}

export function plural(n: number, one: string, many: string): string {
  return `${number(n)} ${n === 1 ? one : many}`;
}
