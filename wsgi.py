from appraisal_impact import create_app

app = create_app()
