"""Looking claims up by id in the tests (the report itself only lists them)."""
from reports.claims import Claim
from reports.scorecard import scorecard


def claim_ids(sections=None) -> list[str]:
    """The ids of every claim, in scorecard order."""
    return [claim.id for claim in scorecard({}, sections)]


def by_id(claims: list[Claim], claim_id: str) -> Claim:
    """The claim with ``claim_id``; a KeyError naming the ids there are."""
    for claim in claims:
        if claim.id == claim_id:
            return claim
    raise KeyError(f"no claim '{claim_id}'; claims: {', '.join(c.id for c in claims)}")
