-- Dwell per opportunity and open stage: total days spent in the stage over all ended
-- visits (a deal that regresses and comes back contributes every visit); censored
-- visits (still running at as_of) are left out. One row per opportunity per open
-- stage with at least one ended visit.
with

entries as (

    select * from {{ ref('int_stage_history_sequenced') }}

)

select
    -- ids
    opportunity_id,
    stage,
    -- dwell
    cast(sum(time_in_stage_days) as {{ type_double() }}) as dwell_days,
    cast(count(*) as {{ dbt.type_bigint() }}) as ended_visit_count
from entries
where not is_censored
    and stage_order between 1 and 5
group by opportunity_id, stage
