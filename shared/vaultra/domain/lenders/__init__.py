"""Lender fit as versioned data: which products an account meets, what is missing, and an
estimate where the lender publishes a sizing rule (docs/LENDERS.md)."""

from vaultra.domain.lenders.assess import assess_lenders
from vaultra.domain.lenders.model import Gap, LenderFit, OfferEstimate, Status
from vaultra.domain.lenders.product import LenderProduct
from vaultra.domain.lenders.products import CRITERIA_VERSION, PRODUCTS

__all__ = [
    "CRITERIA_VERSION",
    "PRODUCTS",
    "Gap",
    "LenderFit",
    "LenderProduct",
    "OfferEstimate",
    "Status",
    "assess_lenders",
]
