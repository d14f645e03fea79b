-- The values an opportunity carried in the CRM extracts — owner, amount, expected close
-- date (as entered), probability — as calendar-day spans. One row per opportunity per
-- extract: [span_start_on, span_end_before), the first span open at the start (before the
-- first extract an opportunity carries its first extract's values), the last open at the end.
with

extracts as (

    select
        opportunity_id,
        owner_rep_id,
        cast(amount as {{ type_double() }}) as amount,
        expected_close_date as expected_close_date_raw,
        probability,
        cast(null as date) as extract_on
    from {{ ref('stg_crm__opportunities') }}

),

sequenced as (

    select
        *,
        row_number() over (partition by opportunity_id order by extract_on) as extract_seq,
        lead(extract_on) over (partition by opportunity_id order by extract_on) as next_extract_on
    from extracts

)

select
    -- ids
    opportunity_id,
    owner_rep_id,
    -- values as extracted
    amount,
    expected_close_date_raw,
    probability,
    extract_on,
    -- calendar-day span (empty start: from the beginning; empty end: through as_of)
    case when extract_seq = 1 then cast(null as date) else extract_on end as span_start_on,
    next_extract_on as span_end_before
from sequenced
