-- The values an opportunity carried in the CRM extracts — owner, amount, forecast and
-- requirement-document amounts, expected close date (as entered), probability, status, close
-- time and stated loss reason — as calendar-day spans. One row per opportunity per
-- extract used: [span_start_on, span_end_before).
--   Extracts dated after as_of are ignored, except an opportunity's very first extract when
--   none is dated on or before as_of: before its first extract an opportunity carries the
--   first extract's values (the best known), so the first span is open at the start.
--   The last span is open at the end (it lasts through as_of).
with

extracts as (

    select * from {{ ref('stg_crm__opportunity_extracts') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

numbered as (

    select
        extracts.opportunity_id,
        extracts.owner_rep_id,
        cast(extracts.amount as {{ type_double() }}) as amount,
        cast(extracts.forecast_amount as {{ type_double() }}) as forecast_amount,
        cast(extracts.requirement_doc_amount as {{ type_double() }}) as requirement_doc_amount,
        extracts.expected_close_date as expected_close_date_raw,
        extracts.probability,
        extracts.status,
        extracts.closed_at,
        extracts.loss_reason_code,
        extracts.loss_reason_text,
        extracts.extract_date,
        as_of.as_of,
        row_number() over (
            partition by extracts.opportunity_id
            order by extracts.extract_date
        ) as extract_seq
    from extracts
    cross join as_of

),

known as (

    select *
    from numbered
    where extract_date <= as_of
        or extract_seq = 1

),

sequenced as (

    select
        *,
        row_number() over (partition by opportunity_id order by extract_date) as span_seq,
        lead(extract_date) over (partition by opportunity_id order by extract_date) as next_extract_date
    from known

)

select
    -- ids
    opportunity_id,
    owner_rep_id,
    -- values as extracted
    amount,
    forecast_amount,
    requirement_doc_amount,
    expected_close_date_raw,
    probability,
    status,
    closed_at,
    loss_reason_code,
    loss_reason_text,
    extract_date,
    -- calendar-day span (empty start: from the beginning; empty end: through as_of)
    case when span_seq = 1 then cast(null as date) else extract_date end as span_start_on,
    next_extract_date as span_end_before
from sequenced
