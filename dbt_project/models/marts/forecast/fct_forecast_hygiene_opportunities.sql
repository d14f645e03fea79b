-- Open opportunities as of as_of with their forecast hygiene flags: the list behind checks
-- 1-3 of fct_forecast_hygiene (which deals lack a usable close date, sit at the default
-- probability, or forecast more than their requirement document says).
with

opportunities as (

    select * from {{ ref('int_open_opportunities_classified_for_hygiene') }}

)

select
    -- ids
    cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
    cast(owner_rep_id as {{ dbt.type_string() }}) as owner_rep_id,
    cast(team_id as {{ dbt.type_string() }}) as team_id,
    -- stage and regime
    cast(stage as {{ dbt.type_string() }}) as stage,
    cast(process_regime as {{ dbt.type_string() }}) as process_regime,
    -- 1 expected close date
    cast(expected_close_date_raw as {{ dbt.type_string() }}) as expected_close_date_raw,
    cast(close_date_class as {{ dbt.type_string() }}) as close_date_class,
    is_bad_close_date,
    -- 2 probability
    cast(crm_probability as {{ type_double() }}) as crm_probability,
    is_default_probability,
    -- 3 amounts
    cast(amount as {{ type_double() }}) as amount,
    cast(forecast_amount as {{ type_double() }}) as forecast_amount,
    cast(requirement_doc_amount as {{ type_double() }}) as requirement_doc_amount,
    cast(forecast_over_doc as {{ type_double() }}) as forecast_over_doc,
    -- timestamps
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(as_of as date) as as_of
from opportunities
where {{ mart_is_available('fct_forecast_hygiene_opportunities') }}
