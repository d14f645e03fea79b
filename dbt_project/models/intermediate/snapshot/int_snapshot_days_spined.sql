-- Every calendar day the daily snapshot can cover: from the earliest opportunity creation
-- date (the day first seen, for one without a created date) to as_of, inclusive. One row
-- per day.
with

opportunities as (

    select * from {{ ref('int_opportunities_dated_by_first_sighting') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

bounds as (

    select
        min(opportunities.first_seen_on) as first_day,
        max(as_of.as_of) as last_day
    from opportunities
    cross join as_of
    where opportunities.first_seen_on <= as_of.as_of

),

spine as (

    {{ date_spine(
        '(select first_day from bounds)',
        '(select last_day from bounds)'
    ) }}

)

select
    date_day as snapshot_date
from spine
where date_day is not null
