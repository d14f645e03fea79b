with source as (

    select * from {{ source('landing', 'reps') }}

),

renamed as (

    select
        -- ids
        cast(rep_id as {{ dbt.type_string() }}) as rep_id,
        cast(team_id as {{ dbt.type_string() }}) as team_id,
        nullif(trim(cast(im_user_id as {{ dbt.type_string() }})), '') as im_user_id,
        -- attributes
        cast(name as {{ dbt.type_string() }}) as name,
        cast(role as {{ dbt.type_string() }}) as role,
        -- dates and timestamps
        cast(hire_date as date) as hire_date,
        cast(termination_date as date) as termination_date,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
