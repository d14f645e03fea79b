with

ranked as (

    select * from {{ ref('int_sop_recommendations_ranked') }}

)

select
    cast(team_id as {{ dbt.type_string() }}) as team_id,
    cast(industry as {{ dbt.type_string() }}) as industry,
    cast(stage as {{ dbt.type_string() }}) as stage,
    cast(recommendation_rank as {{ dbt.type_bigint() }}) as recommendation_rank,
    cast(card_id as {{ dbt.type_string() }}) as card_id,
    cast(title as {{ dbt.type_string() }}) as title,
    cast(card_industry as {{ dbt.type_string() }}) as card_industry,
    cast(shrunk_uplift_pp as {{ type_double() }}) as shrunk_uplift_pp,
    cast(uplift_pp as {{ type_double() }}) as uplift_pp,
    cast(used_closed_count as {{ dbt.type_bigint() }}) as used_closed_count,
    cast(new_rep_practice_rate as {{ type_double() }}) as new_rep_practice_rate,
    cast(top_rep_uplift_pp as {{ type_double() }}) as top_rep_uplift_pp,
    cast(is_top_new_rep_practice as boolean) as is_top_new_rep_practice,
    cast(has_top_rep_lift as boolean) as has_top_rep_lift,
    cast(
        case
            when is_top_new_rep_practice and has_top_rep_lift
                then '本周团队新人练习率最高 · 标杆销售使用后胜率提升'
            when is_top_new_rep_practice then '本周团队新人练习率最高'
            when has_top_rep_lift then '标杆销售使用后胜率提升'
        end as {{ dbt.type_string() }}
    ) as labels_zh,
    cast(week_start as date) as week_start,
    cast(as_of as date) as as_of
from ranked
where {{ mart_is_available('fct_sop_recommendations') }}
