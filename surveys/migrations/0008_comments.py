from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0007_editions"),
    ]

    operations = [
        migrations.AddField(
            model_name="survey",
            name="comments_open",
            field=models.BooleanField(
                default=True, help_text="Untick to close the comments on the results.", verbose_name="readers may comment"
            ),
        ),
        migrations.AddField(
            model_name="survey",
            name="comments_close_after_days",
            field=models.PositiveSmallIntegerField(
                blank=True,
                default=90,
                help_text="Comments close by themselves this many days after the first publication. Empty: never.",
                null=True,
                verbose_name="close comments after (days)",
            ),
        ),
    ]
