"""The address API other apps call: standardize, match and extract, one text or a batch.

Pure text work (no register look-up), so no key is needed and nothing is written. Batches are
parsed in one pass of the compiled parser, in input order.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from address.parse.parser import parse, parse_batch
from address.text.describe import compare, describe
from address.text.extract import extract
from api.schemas.address_api import (
    MAX_TEXT,
    ExtractRequest,
    ExtractResults,
    MatchBatch,
    MatchPair,
    MatchPublic,
    MatchResults,
    StandardizeBatch,
    StandardizedPublic,
    StandardizeResults,
)

router = APIRouter(prefix="/address", tags=["address"])


@router.get("/standardize", summary="One address → components, standard text, key, codes",
            response_model=StandardizedPublic)
def get_standardize(
    address: Annotated[str, Query(min_length=1, max_length=MAX_TEXT,
                                  examples=["上海市青浦区华志路559号"])],
) -> JSONResponse:
    # StandardizedPublic's shape (tested), built by hand on the hot path as /geocode is
    return JSONResponse(describe(parse(address)))


@router.post("/standardize", summary="Up to 10,000 addresses → results in input order",
             response_model=StandardizeResults)
def post_standardize(body: StandardizeBatch) -> JSONResponse:
    texts = [text[:MAX_TEXT] for text in body.addresses]
    return JSONResponse({"results": [describe(parsed) for parsed in parse_batch(texts)]})


@router.post("/match", summary="Are two addresses the same? 完全匹配 / 部分匹配 / 不匹配",
             response_model=MatchPublic)
def post_match(body: MatchPair) -> dict[str, Any]:
    return compare(parse(body.a), parse(body.b))


@router.post("/match/batch", summary="Many pairs, results in input order",
             response_model=MatchResults)
def post_match_batch(body: MatchBatch) -> dict[str, Any]:
    parsed = parse_batch([p.a for p in body.pairs] + [p.b for p in body.pairs])
    n = len(body.pairs)
    return {"results": [compare(parsed[i], parsed[n + i]) for i in range(n)]}


@router.post("/extract", summary="Free text → the addresses in it, standardized, with offsets",
             response_model=ExtractResults)
def post_extract(body: ExtractRequest) -> dict[str, Any]:
    found = []
    for span in extract(body.text):
        found.append({**describe(parse(span.text)), "start": span.start, "end": span.end})
    return {"text": body.text, "addresses": found}
