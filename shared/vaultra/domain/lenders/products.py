"""The lender products Vaultra assesses, as data: criteria, what it cannot see, sizing, sources.

docs/LENDERS.md explains every number here, how Vaultra measures it and where it was read.
Changing any of them is a new CRITERIA_VERSION: assessments stored under an older version keep
theirs.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from vaultra.domain.lenders.criteria import (
    JUDGEMENT,
    PRACTITIONER,
    THIRD_PARTY,
    AtLeastMoney,
    AtLeastMonths,
    AverageAtLeast,
    LowDisputes,
    MonthlyAverageAtLeast,
    MonthlyStreak,
    RatioAtLeast,
    SteadyVolume,
)
from vaultra.domain.lenders.product import LenderProduct
from vaultra.domain.lenders.sizing import ProductMaximum, ShareOfArr

CRITERIA_VERSION = "lenders-2026-11"

READ_ON = date(2026, 11, 26)  # the day every criterion below was read from its source

GROSS_12M = "gross volume over 12 months"
AVERAGE_3M = "average monthly volume over 3 months"

STRIPE_CAPITAL_US = LenderProduct(
    key="stripe_capital_us",
    lender="Stripe",
    product="Stripe Capital (US)",
    currency="usd",
    market="US",
    criteria=(
        AtLeastMonths(9, "at least 9 months processing on Stripe"),
        AtLeastMoney("gross_volume_12m", 5_000, "at least 5,000 USD processed a year", GROSS_12M),
    ),
    to_confirm=(
        "The business is located or incorporated in the US: Vaultra sees USD settlement, not where "
        "the business is registered; funding may not be available in some states.",
        "No Stripe Capital application was declined in the last 30 days: Stripe waits 30 days "
        "before a new offer.",
        "Stripe also weighs growth and the size of the customer base; the offer follows processing "
        "volume on Stripe.",
    ),
    signals=(SteadyVolume("Stripe"), LowDisputes("Stripe")),
    no_sizing_note=(
        "Stripe does not publish a sizing rule: offers follow processing volume on Stripe."
    ),
    sources=(
        "Stripe Docs, Stripe Capital eligibility (US): https://docs.stripe.com/capital/eligibility",
        "Stripe Docs, How Stripe Capital works: https://docs.stripe.com/capital",
    ),
    read_on=READ_ON,
)

STRIPE_CAPITAL_PLATFORMS = LenderProduct(
    key="stripe_capital_platforms",
    lender="Stripe",
    product="Stripe Capital for platforms (US)",
    currency="usd",
    market="US",
    criteria=(
        AtLeastMonths(3, "at least 3 months processing on Stripe"),
        AtLeastMoney("gross_volume_12m", 5_000, "at least 5,000 USD processed a year", GROSS_12M),
        # Stripe counts the last 3 months; the 90 days ending at the as-of day stand in for them.
        MonthlyAverageAtLeast(
            "gross_volume_90d",
            3,
            1_000,
            "at least 1,000 USD a month on average over the last 3 months (90 days ÷ 3)",
            AVERAGE_3M,
        ),
    ),
    to_confirm=(
        "You sell through a Stripe Connect platform that runs a Capital for platforms programme: "
        "Vaultra reads your own account, not your platform's.",
        "The business is based in the US, with a representative who has a US home address.",
        "The business is for-profit; government, utility and travel businesses may face extra "
        "restrictions.",
        "The Stripe account has an email address linked to it, for offer and servicing emails.",
    ),
    signals=(SteadyVolume("Stripe"),),
    sizing=ProductMaximum(
        250_000,
        "usd",
        "product maxima only: flex loans and fixed-term loans (42 weeks) up to 250,000 USD "
        "(350,000 USD on refills), cash advances up to 100,000 USD (5–8 months); Stripe does not "
        "publish how an offer is sized",
    ),
    sources=(
        "Stripe Docs, How Stripe Capital for platforms works (US): "
        "https://docs.stripe.com/capital/how-capital-for-platforms-works",
        "Stripe Docs, Stripe Capital for platforms: "
        "https://docs.stripe.com/capital/how-capital-works",
    ),
    read_on=READ_ON,
)

STRIPE_CAPITAL_UK = LenderProduct(
    key="stripe_capital_uk",
    lender="Stripe (with YouLend)",
    product="Stripe Capital (UK)",
    currency="gbp",
    market="UK",
    criteria=(
        AtLeastMonths(6, "at least 6 months processing on Stripe"),
        AtLeastMoney("gross_volume_12m", 5_000, "at least 5,000 GBP processed a year", GROSS_12M),
        MonthlyAverageAtLeast(
            "gross_volume_90d",
            3,
            1_000,
            "at least 1,000 GBP a month on average over the last 3 months (90 days ÷ 3)",
            AVERAGE_3M,
        ),
    ),
    to_confirm=(
        "The business is located or incorporated in the UK: Vaultra sees GBP settlement, not where "
        "the business is registered.",
        "The applicant is a representative, controller or director owning at least 25 %, is 18 or "
        "older and has a UK address for a credit check.",
        "No Stripe Capital application was declined in the last 90 days: Stripe and YouLend wait "
        "90 days before a new offer.",
    ),
    signals=(SteadyVolume("Stripe"), LowDisputes("Stripe")),
    no_sizing_note=(
        "Stripe and YouLend do not publish a sizing rule: offers follow processing volume on "
        "Stripe."
    ),
    sources=(
        "Stripe Docs, Stripe Capital eligibility (UK): "
        "https://docs.stripe.com/capital/eligibility?country=gb",
        "Stripe Docs, How Stripe Capital works (UK, with YouLend): "
        "https://docs.stripe.com/capital/how-stripe-capital-works?country=GB",
    ),
    read_on=READ_ON,
)

CLEARCO = LenderProduct(
    key="clearco",
    lender="Clearco",
    product="Invoice and receipt funding",
    currency="usd",
    market="US",
    criteria=(
        # The FAQ says "greater than $10k/month"; read as at least, like every other minimum.
        MonthlyStreak(10_000, 12, "at least 10,000 USD revenue a month for 12 months"),
    ),
    to_confirm=(
        "The business is incorporated in the US (corporation or LLC) and has a US business "
        "checking account.",
        "Clearco funds e-commerce brands; its earlier criteria also named subscription businesses "
        "and consumer SaaS.",
        "Clearco counts revenue from every connected sales platform: Vaultra sees Stripe only, so "
        "sales elsewhere could close a gap shown here.",
    ),
    no_sizing_note=(
        "Clearco does not publish a sizing rule: it shows a funding capacity once sales and bank "
        "accounts are connected (historically 10,000–10,000,000 USD at a 6–12 % flat fee)."
    ),
    sources=(
        "Clearco FAQ, minimum eligibility: https://clear.co/faq/",
        "Clearbanc FAQ (historical sizes and fees): https://clearbanc.com/faq/",
    ),
    read_on=READ_ON,
)

LIGHTER_CAPITAL = LenderProduct(
    key="lighter_capital",
    lender="Lighter Capital",
    product="Revenue-based financing",
    currency="usd",
    market="US",
    needs_subscription_revenue=True,
    criteria=(
        AtLeastMoney("gross_volume_12m", 200_000, "at least 200,000 USD annual revenue", GROSS_12M),
        # Lighter averages the last three months' MRR; the metric set keeps two month-end points,
        # MRR at the as-of day and at the end of the previous month, and their mean stands in.
        AverageAtLeast(
            ("mrr", "mrr_previous_month_end"),
            15_000,
            "an average MRR of at least 15,000 USD over the last 3 months",
            "average MRR (now and at the previous month-end)",
            "MRR at the previous month-end is not known yet",
        ),
    ),
    to_confirm=(
        "The company is US-based (Lighter's newer term loan also lists Australia and Canada; "
        "Vaultra holds its thresholds in USD only).",
        "It is a software, SaaS, tech services or digital media company.",
        "Lighter looks for growth, modest cash burn, a clear path to profitability and a plan for "
        "the funds.",
    ),
    sizing=ShareOfArr(
        33,
        "up to 33 % of annualised run rate",
        minimum=50_000,
        maximum=3_000_000,
        currency="usd",
    ),
    sources=(
        "Lighter Capital FAQ: https://www.lightercapital.com/faq/",
        "Lighter Capital FAQ (RevenueLoan, US companies only): "
        "https://www.lightercapital.com/how-it-works/faq/",
        "Lighter Capital, Revenue-based finance webinar recap (investment criteria): "
        "https://www.lightercapital.com/blog/webinar-revenue-based-finance-how-does-it-work-and-who-is-it-for",
    ),
    read_on=READ_ON,
)

FOUNDERPATH = LenderProduct(
    key="founderpath",
    lender="Founderpath",
    product="Revenue-based financing for B2B SaaS",
    currency=None,
    market="B2B SaaS",
    needs_subscription_revenue=True,
    criteria=(),
    to_confirm=(
        "The business is B2B SaaS: Vaultra sees subscriptions, not whether the customers are "
        "businesses.",
        "Founderpath sizes the offer on retention, growth, margins and existing debt, which can "
        "bring it below the 50 % ceiling.",
    ),
    sizing=ShareOfArr(50, "up to about 50 % of ARR"),
    sources=(
        "Founderpath, Frequently asked questions: "
        "https://founderpath.com/blog/founderpath-frequently-asked-questions",
    ),
    read_on=READ_ON,
)

CAPCHASE = LenderProduct(
    key="capchase",
    lender="Capchase",
    product="Capchase Grow (revenue-based financing)",
    currency=None,
    market="SaaS in the US, UK, Canada and Europe",
    needs_subscription_revenue=True,
    criteria=(
        # "High retention" has no published number: 85 % GRR is a few points under the private
        # B2B median of 90–92 % (SaaS Capital), the lowest Vaultra would call high.
        RatioAtLeast(
            "grr_12m",
            Decimal("0.85"),
            "high retention: GRR of at least 85 % over 12 months",
            "GRR over 12 months",
            "GRR needs 12 months of subscription data",
            basis=JUDGEMENT,
        ),
    ),
    to_confirm=(
        "The company is past product-market fit.",
        "Unit economics are strong: LTV/CAC and gross margin need acquisition and delivery costs "
        "that Vaultra cannot see.",
        "There is runway to match: Capchase watches burn and runway; aim for two years or more.",
    ),
    sizing=ShareOfArr(60, "30–60 % of ARR", low_percent=30),
    sources=(
        "Capchase, How we think about risk at Capchase: "
        "https://www.capchase.com/blog/how-we-think-about-risk-at-capchase",
        "Capchase blog, When you apply to a non-dilutive finance provider (30–60 % of ARR): "
        "https://capchase-project.webflow.io/blog/non-dilutive-finance-provider",
    ),
    read_on=READ_ON,
)

PIPE = LenderProduct(
    key="pipe",
    lender="Pipe",
    product="Capital against recurring revenue",
    currency="usd",
    market="US",
    needs_subscription_revenue=True,
    criteria=(
        AtLeastMoney(
            "arr",
            100_000,
            "at least 100,000 USD ARR",
            "ARR",
            basis=THIRD_PARTY,
            missing="no ARR yet",
        ),
    ),
    to_confirm=(
        "Retention is predictable and product-market fit proven: Pipe publishes no threshold for "
        "either (see NRR and GRR among your metrics).",
        "The company is US-based, or a foreign company with a US subsidiary.",
    ),
    sizing=ShareOfArr(100, "historically up to a year of contract value, about 100 % of ARR"),
    sources=(
        "Pipe Help Center: https://pipe.com/help",
        "New Frontier Funding, Pipe review (third party: from about 100,000 USD ARR): "
        "https://newfrontierfunding.com/pipe-review",
    ),
    read_on=READ_ON,
)

BANK_SBA_7A = LenderProduct(
    key="bank_sba_7a",
    lender="A US bank",
    product="Term loan or SBA 7(a) loan",
    currency="usd",
    market="US",
    criteria=(
        # Time in business is not on Stripe; months since the first charge are the proxy, which
        # understates a business that traded before it used Stripe (a to-confirm line says so).
        AtLeastMonths(24, "about 2 years in business, counted as months on Stripe", PRACTITIONER),
        AtLeastMoney(
            "gross_volume_12m",
            100_000,
            "at least 100,000 USD revenue a year",
            GROSS_12M,
            basis=PRACTITIONER,
        ),
    ),
    to_confirm=(
        "The business is an operating, for-profit business located in the US.",
        "It is small under the SBA size standard for its industry and not an ineligible type (for "
        "example lending, speculation or passive real estate).",
        "It cannot get the credit on reasonable terms elsewhere (SBA's credit-elsewhere test).",
        "Cash flow covers the repayments: banks commonly want a debt service coverage ratio of "
        "1.25 or more, which needs profit figures Vaultra cannot see.",
        "The owners have good personal credit (commonly 650–680 or more), equity in the business "
        "and collateral where available.",
        "If the business traded before it used Stripe, it is older than Vaultra's months on "
        "Stripe.",
    ),
    sizing=ProductMaximum(
        5_000_000,
        "usd",
        "the SBA 7(a) maximum only: loans up to 5,000,000 USD; what a bank lends depends on cash "
        "flow and collateral that Vaultra cannot see",
    ),
    sources=(
        "GovLoans.gov, SBA 7(a) loan program (maximum 5 million USD; for-profit, size standards, "
        "credit elsewhere, repayment): https://www.govloans.gov/loans/loan-details/1497",
        "SBA.gov 7(a) loans page, as reproduced at https://gobizlending.com/sba (operating, "
        "for-profit, located in the US, small, creditworthy)",
        "Loan.com, Requirements for a term loan (banks like two years or more): "
        "https://www.loan.com/business-loans/requirements-for-a-term-loan.html",
        "Liminal Lending, Business loan requirements (SBA 7(a): 2 years, 100,000 USD revenue, "
        "DSCR 1.25): https://www.liminallending.com/resources/articles/qualifying-for-funding/loan-requirements",
    ),
    read_on=READ_ON,
)

PRODUCTS: tuple[LenderProduct, ...] = (
    STRIPE_CAPITAL_US,
    STRIPE_CAPITAL_PLATFORMS,
    STRIPE_CAPITAL_UK,
    CLEARCO,
    LIGHTER_CAPITAL,
    FOUNDERPATH,
    CAPCHASE,
    PIPE,
    BANK_SBA_7A,
)
