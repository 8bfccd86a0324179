import './base.css';
import './sidebar.css';
import './data.css';
import './skyview.css';
import './bulk.css';
import './basket.css';
import './publish.css';
import './software.css';
